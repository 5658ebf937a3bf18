using System.CommandLine;
using System.CommandLine.Parsing;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace ScmiActors.Cli.Node;

/// <summary>
/// The certificate of a TLS node: the one with its private key that it presents, and the
/// self-signed certificates of the same .pfx that a peer's certificate must chain to.
/// </summary>
public sealed record NodeTlsSettings(string Path, X509Certificate2 Certificate, IReadOnlyList<X509Certificate2> TrustAnchors);

/// <summary>
/// TLS between nodes (issue 13 §4, only members get in): <c>--tls-cert FILE.pfx</c> with its password
/// read from the environment variable named by <c>--tls-password-env VAR</c> (a password on the
/// command line would show in <c>ps</c> and the shell history). Turns on Akka.Remote's DotNetty TLS
/// with mutual authentication: every connection, in or out, presents this node's certificate and
/// accepts the peer only if its certificate chains to a self-signed certificate of this node's .pfx
/// (<see cref="Validator"/>). A peer without a certificate, with another one, or speaking plain TCP
/// fails the handshake and never associates, so it can neither join nor send.
/// </summary>
public static class NodeTls
{
    public const string Scheme = "akka.ssl.tcp";

    /// <summary>The two options, added to <paramref name="command"/>, and how to read them once parsed.</summary>
    public sealed class Options(Option<FileInfo> cert, Option<string> passwordEnv)
    {
        public Option<FileInfo> Cert { get; } = cert;
        public Option<string> PasswordEnv { get; } = passwordEnv;

        /// <summary>The loaded certificate, or null without <c>--tls-cert</c> (the validators already checked it loads).</summary>
        public NodeTlsSettings? Read(ParseResult parse) =>
            parse.GetValue(Cert) is { } file ? Load(file.FullName, parse.GetValue(PasswordEnv), out _) : null;
    }

    /// <summary>
    /// Adds <c>--tls-cert</c> and <c>--tls-password-env</c> to the node command, with a check that runs
    /// while parsing: an unreadable file, a wrong password, a seed address of the other scheme are one
    /// line and exit 2 before anything starts.
    /// </summary>
    public static Options AddTo(Command command, Option<Address[]> seeds)
    {
        var cert = new Option<FileInfo>("--tls-cert")
        {
            Description = "TLS between nodes: this node's certificate and private key (PKCS#12 .pfx). Peers must present a certificate " +
                          "that chains to a self-signed certificate in the same file; seed addresses are then akka.ssl.tcp://",
            HelpName = "FILE.pfx",
        };
        var passwordEnv = new Option<string>("--tls-password-env")
        {
            Description = "Name of the environment variable that holds the --tls-cert password (never the password itself); none: the file has no password",
            HelpName = "VAR",
        };
        command.Options.Add(cert);
        command.Options.Add(passwordEnv);
        command.Validators.Add(r =>
        {
            var file = r.GetValue(cert);
            var envName = r.GetValue(passwordEnv);
            if (file is null)
            {
                if (envName is not null) r.AddError("--tls-password-env: only with --tls-cert");
                // Without TLS a node speaks akka.tcp: an akka.ssl.tcp seed would never answer it.
                else if (SeedsOf(r, seeds).FirstOrDefault(s => s.Protocol == Scheme) is { } ssl)
                    r.AddError($"--seed-nodes: '{ssl}' is a TLS address; give --tls-cert, or use akka.tcp://");
                return;
            }
            if (Load(file.FullName, envName, out var reason) is null) r.AddError(reason);
            else if (SeedsOf(r, seeds).FirstOrDefault(s => s.Protocol != Scheme) is { } plain)
                r.AddError($"--seed-nodes: '{plain}' is not a TLS address: with --tls-cert, nodes are {Scheme}://{NodeCluster.SystemName}@HOST:PORT");
        });
        return new Options(cert, passwordEnv);
    }

    /// <summary>The parsed seed addresses; none when --seed-nodes is missing or has its own error (already reported).</summary>
    private static Address[] SeedsOf(CommandResult r, Option<Address[]> seeds)
    {
        try
        {
            return r.GetValue(seeds) ?? [];
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }

    /// <summary>
    /// Reads the .pfx: the certificate with a private key this node presents, and the trust anchors (the
    /// self-signed certificates in it: the cluster's own certificate, or the CA that issued it). Null
    /// with a one-line reason when the file or the password environment variable is missing, the
    /// password is wrong, or the file has no usable key or anchor.
    /// </summary>
    public static NodeTlsSettings? Load(string path, string? passwordEnv, out string reason)
    {
        reason = "";
        string? password = null;
        if (passwordEnv is not null)
        {
            password = Environment.GetEnvironmentVariable(passwordEnv);
            if (password is null)
            {
                reason = $"--tls-password-env: the environment variable '{passwordEnv}' is not set";
                return null;
            }
        }
        X509Certificate2Collection all;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"--tls-cert: cannot read '{path}' ({e.Message.TrimEnd('.')})";
            return null;
        }
        try
        {
            // EphemeralKeySet: the private key stays in memory, nothing is written to the user's key store.
            all = X509CertificateLoader.LoadPkcs12Collection(bytes, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            // The same exception for a wrong password and for a file that is not PKCS#12: say both.
            reason = $"--tls-cert: cannot open '{path}' as a .pfx with {(passwordEnv is null ? "no password" : $"the password in ${passwordEnv}")} " +
                     $"(wrong password, or not a PKCS#12 file: {e.Message.TrimEnd('.')})";
            return null;
        }
        var certificate = all.FirstOrDefault(c => c.HasPrivateKey && HasUsableKey(c));
        if (certificate is null)
        {
            reason = $"--tls-cert: '{path}' has no certificate with an RSA or ECDSA private key";
            return null;
        }
        var anchors = all.Where(IsSelfSigned).ToList();
        if (anchors.Count == 0)
        {
            reason = $"--tls-cert: '{path}' has no self-signed certificate (the node's own, or its CA's) to trust peers by";
            return null;
        }
        var now = DateTime.Now;
        if (now < certificate.NotBefore || now > certificate.NotAfter)
        {
            reason = $"--tls-cert: the certificate in '{path}' is valid only from {certificate.NotBefore:u} to {certificate.NotAfter:u}";
            return null;
        }
        return new NodeTlsSettings(path, certificate, anchors);
    }

    /// <summary>
    /// The peers this node's <see cref="Validator"/> refused, the latest kept: the stop line names it. The
    /// validator's log line says the same, but Akka's logging is asynchronous and the logger stops with the
    /// ActorSystem, dropping what it has not printed yet; a node that stops right after refusing its seed
    /// would otherwise exit without saying whose certificate failed and why.
    /// </summary>
    public sealed class Refusals
    {
        private string? _latest;

        public string? Latest => Volatile.Read(ref _latest);

        public void Add(string refusal) => Volatile.Write(ref _latest, refusal);
    }

    /// <summary>
    /// Why Akka.Remote stopped this node, when it was a TLS handshake: Akka.Remote runs CoordinatedShutdown
    /// when an outbound handshake fails (this node's certificate refused by a peer, or the peer's by this
    /// node), treating it as a misconfiguration rather than retrying forever. One line with this node's
    /// refusal when it made one (recorded before the handshake failed, so before the stop); otherwise the
    /// peer refused this node's certificate. Null for any other stop.
    /// </summary>
    public static string? StopReason(ActorSystem system, Refusals? refusals = null)
    {
        if (CoordinatedShutdown.Get(system).ShutdownReason is not { } reason || reason.GetType().Name != "TlsHandshakeFailureReason") return null;
        return refusals?.Latest is { } refusal
            ? $"{reason}: this node {refusal}"
            : $"{reason}: the peer refused this node's certificate (its log says why)";
    }

    /// <summary>The line a TLS node prints at start: what it presents and whom it lets in.</summary>
    public static string Describe(NodeTlsSettings tls) =>
        $"TLS: presenting {tls.Certificate.Subject} (thumbprint {tls.Certificate.Thumbprint}, valid until {tls.Certificate.NotAfter.ToUniversalTime():u}); " +
        $"peers must present a certificate that chains to {string.Join(" or ", tls.TrustAnchors.Select(a => $"{a.Subject} ({a.Thumbprint})"))}.";

    /// <summary>
    /// Enables TLS on the node's remoting. The certificate goes in through <see cref="DotNettySslSetup"/>
    /// (which takes precedence over the HOCON certificate section), so the password is never part of
    /// the node's HOCON, which Akka may print. suppress-validation stays off: it would accept any
    /// certificate, or none, from anyone who can reach the port.
    /// </summary>
    public static void Configure(AkkaConfigurationBuilder builder, NodeTlsSettings tls, Refusals? refusals = null)
    {
        builder.AddHocon(Hocon, HoconAddMode.Prepend);
        builder.AddSetup(new DotNettySslSetup(tls.Certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, customValidator: Validator(tls.TrustAnchors, refusals)));
    }

    /// <summary>
    /// The HOCON side: TLS on, mutual authentication (a server asks the client for its certificate too),
    /// no hostname check (nodes are reached by IP and may share one certificate), no suppression.
    /// </summary>
    public const string Hocon = """
        akka.remote.dot-netty.tcp {
          enable-ssl = true
          ssl {
            suppress-validation = false
            require-mutual-authentication = true
            validate-certificate-hostname = false
          }
        }
        """;

    /// <summary>
    /// What is checked of a peer's certificate, on both sides of every connection: there is one; its
    /// chain builds to one of <paramref name="anchors"/> (each signature verified, every certificate
    /// in its validity period); revocation is not checked (no network, a self-made CA has no CRL).
    /// Not checked: the host name (nodes are addressed by IP) and key usages. Only the anchors count:
    /// the machine's trusted roots do not, so a certificate from a public CA gets nobody in. Each refusal is
    /// logged and, with <paramref name="refusals"/>, recorded for the stop line (<see cref="StopReason"/>).
    /// </summary>
    public static CertificateValidationCallback Validator(IReadOnlyList<X509Certificate2> anchors, Refusals? refusals = null) => (certificate, chain, peer, _, log) =>
    {
        if (certificate is null)
        {
            // Akka.Remote's server side already refuses (and logs) a client without one; this is the client side.
            Refuse(log, refusals, $"refused {peer}: it presented no certificate");
            return false;
        }
        using var own = new X509Chain();
        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        own.ChainPolicy.CustomTrustStore.AddRange(anchors.ToArray());
        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Intermediates the peer sent along may complete its chain; they are not trusted by themselves.
        if (chain is not null)
            foreach (var element in chain.ChainElements)
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span)) own.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (own.Build(certificate)) return true;
        var status = string.Join(", ", own.ChainStatus.Select(s => s.Status).Distinct());
        Refuse(log, refusals, $"refused {peer}: its certificate {certificate.Subject} (thumbprint {certificate.Thumbprint}) does not chain to this node's certificate ({status})");
        return false;
    };

    private static void Refuse(ILoggingAdapter log, Refusals? refusals, string refusal)
    {
        refusals?.Add(refusal);
        log.Warning("TLS: {0}", refusal);
    }

    private static bool IsSelfSigned(X509Certificate2 c) => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData);

    private static bool HasUsableKey(X509Certificate2 c)
    {
        try
        {
            using var rsa = c.GetRSAPrivateKey();
            using var ecdsa = c.GetECDsaPrivateKey();
            return rsa is not null || ecdsa is not null;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
