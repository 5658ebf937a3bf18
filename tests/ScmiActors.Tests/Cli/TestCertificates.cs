using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// Certificates made at test time (nothing checked in, nothing from the machine's store): a
/// self-signed cluster certificate, a CA and the node certificates it issues, written to a temp
/// directory as .pfx files that the test deletes.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"scmi-tls-{Guid.NewGuid():N}");

    public TestCertificates() => System.IO.Directory.CreateDirectory(Directory);

    /// <summary>A self-signed certificate usable by a TLS server and client (what every node of a small cluster can share).</summary>
    public static X509Certificate2 SelfSigned(string subject = "CN=scmi-actors-test-cluster", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = RSA.Create(2048);
        var request = Request(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5), notAfter ?? DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>A node certificate issued by <paramref name="ca"/>, with its private key.</summary>
    public static X509Certificate2 IssuedBy(X509Certificate2 ca, string subject)
    {
        using var key = RSA.Create(2048);
        var request = Request(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var serial = RandomNumberGenerator.GetBytes(8);
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), ca.NotAfter.ToUniversalTime(), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes <paramref name="certificates"/> (the first with its key) to a .pfx protected by <paramref name="password"/>; returns its path.</summary>
    public string WritePfx(string name, string? password, params X509Certificate2[] certificates)
    {
        var path = Path.Combine(Directory, name);
        var collection = new X509Certificate2Collection(certificates);
        File.WriteAllBytes(path, collection.Export(X509ContentType.Pkcs12, password)!);
        return path;
    }

    private static CertificateRequest Request(string subject, RSA key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        // Server and client: every node accepts connections and makes them, each side showing its certificate.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        return request;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory.
        }
    }
}
