using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using ScmiActors.Cli;
using ScmiActors.Cli.Node;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.Cli;

/// <summary>
/// <c>scmi-actors node --tls-cert</c>: nodes with the cluster's certificate form a cluster; a node
/// without TLS, a node with another certificate and a TLS client without a certificate do not get
/// in. Certificates are made at test time into a temp directory; every wait is on output and
/// bounded; every child is killed by its own id when the test ends.
/// </summary>
public sealed class NodeTlsTests : IDisposable
{
    private readonly ITestOutputHelper _log;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly TestCertificates _certificates = new();

    // Children inherit this process's environment: the password reaches them only by the variable's name.
    private readonly string _passwordEnv = $"SCMI_TLS_TEST_PASSWORD_{Guid.NewGuid():N}";
    private const string Password = "correct horse battery staple";

    public NodeTlsTests(ITestOutputHelper log)
    {
        _log = log;
        Environment.SetEnvironmentVariable(_passwordEnv, Password);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_passwordEnv, null);
        _certificates.Dispose();
    }

    [Fact]
    public async Task Two_nodes_with_the_certificate_form_a_cluster_and_a_node_without_TLS_never_gets_in()
    {
        using var cluster = TestCertificates.SelfSigned();
        var pfx = _certificates.WritePfx("cluster.pfx", Password, cluster);
        var ports = LoopbackPorts.Free(3);
        var seed = $"akka.ssl.tcp://scmi-actors@127.0.0.1:{ports[0]}";
        var nodes = new List<CliProcess>();
        try
        {
            nodes.Add(StartTlsNode(ports[0], seed, pfx));
            Assert.True(await nodes[0].WaitForOutputAsync($"Node {seed} is Up", Bound), "the TLS seed never came Up");
            Assert.Contains($"TLS: presenting CN=scmi-actors-test-cluster (thumbprint {cluster.Thumbprint}", nodes[0].Output);
            nodes.Add(StartTlsNode(ports[1], seed, pfx));
            foreach (var node in nodes) Assert.True(await node.WaitForOutputAsync("Up; members: 2", Bound), "the two TLS nodes never formed a cluster");

            // The intruder speaks plain akka.tcp to the seed's port: the seed's TLS handshake fails on its first bytes.
            var intruderAddress = $"akka.tcp://scmi-actors@127.0.0.1:{ports[2]}";
            nodes.Add(CliProcess.Start("node", "--port", ports[2].ToString(), "--seed-nodes", $"akka.tcp://scmi-actors@127.0.0.1:{ports[0]}"));
            Assert.True(await nodes[0].WaitForOutputAsync("due to TLS handshake failure", Bound), "the seed never logged a refused handshake");
            Assert.Contains("not an SSL/TLS record", nodes[0].Output);
            Assert.True(await nodes[2].WaitForOutputAsync($"Association failed with akka.tcp://scmi-actors@127.0.0.1:{ports[0]}", Bound),
                "the node without TLS never saw its association fail");
            // Refused: it never becomes Up anywhere, and the cluster stays at two.
            Assert.False(nodes[2].Output.Contains("is Up"), "the node without TLS came Up");
            foreach (var node in nodes.Take(2))
            {
                Assert.DoesNotContain(intruderAddress, node.Output);
                Assert.DoesNotContain("members: 3", node.Output);
            }
        }
        finally
        {
            Dump(nodes);
        }
    }

    [Fact]
    public async Task A_node_with_another_certificate_of_the_same_name_is_refused_and_so_is_a_TLS_client_without_one()
    {
        using var cluster = TestCertificates.SelfSigned();
        // Same subject, another key: only the signature tells them apart, and the check is on the signature.
        using var impostor = TestCertificates.SelfSigned();
        var pfx = _certificates.WritePfx("cluster.pfx", Password, cluster);
        var impostorPfx = _certificates.WritePfx("impostor.pfx", Password, impostor);
        var ports = LoopbackPorts.Free(2);
        var seed = $"akka.ssl.tcp://scmi-actors@127.0.0.1:{ports[0]}";
        var nodes = new List<CliProcess>();
        try
        {
            nodes.Add(StartTlsNode(ports[0], seed, pfx));
            Assert.True(await nodes[0].WaitForOutputAsync($"Node {seed} is Up", Bound), "the TLS seed never came Up");

            nodes.Add(StartTlsNode(ports[1], seed, impostorPfx));
            // Each side checks the other: the impostor refuses the seed's certificate as the seed refuses its.
            // Akka.Remote stops a node whose outbound handshake failed; it exits 1, never having been Up, and its
            // stop line says whom it refused and why. That line, not the log's warning, is what the node is sure
            // to print: the log is asynchronous and its logger stops with the node.
            nodes[1].WaitForExit(Bound);
            Assert.Equal(ExitCodes.NodeDowned, nodes[1].ExitCode);
            var stopped = nodes[1].Output.Split('\n').SingleOrDefault(l => l.StartsWith($"Node akka.ssl.tcp://scmi-actors@127.0.0.1:{ports[1]} stopped: ", StringComparison.Ordinal));
            Assert.NotNull(stopped);
            Assert.StartsWith($"Node akka.ssl.tcp://scmi-actors@127.0.0.1:{ports[1]} stopped: TLS handshake failed on outbound connection", stopped);
            Assert.Contains($": this node refused ssl.tcp://scmi-actors@127.0.0.1:{ports[0]}: its certificate CN=scmi-actors-test-cluster " +
                            $"(thumbprint {cluster.Thumbprint}) does not chain to this node's certificate", stopped);
            Assert.False(nodes[1].Output.Contains("is Up"), "the impostor came Up");
            Assert.True(await nodes[0].WaitForOutputAsync("does not chain to this node's certificate", Bound), "the seed accepted the impostor's certificate");
            Assert.Contains("Up; members: 1", nodes[0].Output);
            Assert.DoesNotContain("members: 2", nodes[0].Output);

            // A TLS client that shows no certificate: the seed asks for one, gets none, and drops the connection.
            var dropped = await TlsClientWithoutCertificateIsDropped(ports[0]);
            Assert.True(await nodes[0].WaitForOutputAsync("client did not provide a certificate", Bound), "the seed never logged the client without a certificate");
            Assert.True(dropped, "the seed kept talking to a client without a certificate");
            Assert.DoesNotContain("members: 2", nodes[0].Output);
        }
        finally
        {
            Dump(nodes);
        }
    }

    [Fact]
    public async Task Nodes_with_certificates_issued_by_the_same_CA_form_a_cluster()
    {
        using var ca = TestCertificates.SelfSigned("CN=scmi-actors-test-ca");
        using var a = TestCertificates.IssuedBy(ca, "CN=node-a");
        using var b = TestCertificates.IssuedBy(ca, "CN=node-b");
        // Each .pfx: the node's certificate with its key, and the CA's certificate (without its key) to trust peers by.
        using var caPublic = X509CertificateLoader.LoadCertificate(ca.RawData);
        var pfxA = _certificates.WritePfx("a.pfx", Password, a, caPublic);
        var pfxB = _certificates.WritePfx("b.pfx", Password, b, caPublic);
        var ports = LoopbackPorts.Free(2);
        var seed = $"akka.ssl.tcp://scmi-actors@127.0.0.1:{ports[0]}";
        var nodes = new List<CliProcess>();
        try
        {
            nodes.Add(StartTlsNode(ports[0], seed, pfxA));
            Assert.True(await nodes[0].WaitForOutputAsync($"Node {seed} is Up", Bound), "the TLS seed never came Up");
            Assert.Contains("peers must present a certificate that chains to CN=scmi-actors-test-ca", nodes[0].Output);
            nodes.Add(StartTlsNode(ports[1], seed, pfxB));
            foreach (var node in nodes) Assert.True(await node.WaitForOutputAsync("Up; members: 2", Bound), "the two CA-issued nodes never formed a cluster");
        }
        finally
        {
            Dump(nodes);
        }
    }

    [Fact]
    public void The_validator_accepts_only_a_chain_to_the_anchors()
    {
        using var ca = TestCertificates.SelfSigned("CN=ca");
        using var issued = TestCertificates.IssuedBy(ca, "CN=node");
        using var otherCa = TestCertificates.SelfSigned("CN=ca");
        using var forged = TestCertificates.IssuedBy(otherCa, "CN=node");
        using var expired = TestCertificates.SelfSigned("CN=ca", DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));
        var refusals = new NodeTls.Refusals();
        var validate = NodeTls.Validator([ca], refusals);
        var noLog = NoLogger.Instance;
        Assert.True(validate(ca, null, "peer", SslPolicyErrors.RemoteCertificateChainErrors, noLog));
        Assert.True(validate(issued, null, "peer", SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch, noLog));
        Assert.Null(refusals.Latest);
        Assert.False(validate(null, null, "peer", SslPolicyErrors.RemoteCertificateNotAvailable, noLog));
        Assert.Equal("refused peer: it presented no certificate", refusals.Latest);
        Assert.False(validate(otherCa, null, "peer", SslPolicyErrors.None, noLog));
        Assert.False(validate(forged, null, "forger", SslPolicyErrors.None, noLog));
        // The stop line names the latest refusal: whom, which certificate, why.
        Assert.StartsWith($"refused forger: its certificate CN=node (thumbprint {forged.Thumbprint}) does not chain to this node's certificate (", refusals.Latest);
        Assert.False(NodeTls.Validator([expired])(expired, null, "peer", SslPolicyErrors.None, noLog));
    }

    private const string TlsSeed = "akka.ssl.tcp://scmi-actors@127.0.0.1:4053";

    [Fact]
    public void A_missing_certificate_file_is_one_line_and_exit_2()
    {
        var missing = Path.Combine(_certificates.Directory, "missing.pfx");
        var (exitCode, output, error) = Run(["node", "--seed-nodes", TlsSeed, "--tls-cert", missing]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: --tls-cert: cannot read '{missing}' (Could not find file '{missing}') (see --help)\n", error.ReplaceLineEndings("\n"));
        Assert.Equal("", output);
    }

    [Fact]
    public void A_wrong_password_is_one_line_and_exit_2()
    {
        using var cluster = TestCertificates.SelfSigned();
        var pfx = _certificates.WritePfx("cluster.pfx", "another password", cluster);
        var (exitCode, output, error) = Run(["node", "--seed-nodes", TlsSeed, "--tls-cert", pfx, "--tls-password-env", _passwordEnv]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.StartsWith($"scmi-actors: --tls-cert: cannot open '{pfx}' as a .pfx with the password in ${_passwordEnv} (wrong password, or not a PKCS#12 file: ", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("not a certificate")]
    [InlineData("")]
    public void A_file_that_is_not_a_pfx_is_one_line_and_exit_2(string content)
    {
        var path = Path.Combine(_certificates.Directory, "text.pfx");
        File.WriteAllText(path, content);
        var (exitCode, _, error) = Run(["node", "--seed-nodes", TlsSeed, "--tls-cert", path]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.StartsWith($"scmi-actors: --tls-cert: cannot open '{path}' as a .pfx with no password (wrong password, or not a PKCS#12 file: ", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_pfx_without_a_private_key_is_one_line_and_exit_2()
    {
        using var cluster = TestCertificates.SelfSigned();
        using var publicOnly = X509CertificateLoader.LoadCertificate(cluster.RawData);
        var pfx = _certificates.WritePfx("public.pfx", Password, publicOnly);
        var (exitCode, _, error) = Run(["node", "--seed-nodes", TlsSeed, "--tls-cert", pfx, "--tls-password-env", _passwordEnv]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: --tls-cert: '{pfx}' has no certificate with an RSA or ECDSA private key (see --help)\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_node_certificate_without_its_CA_in_the_pfx_is_one_line_and_exit_2()
    {
        using var ca = TestCertificates.SelfSigned("CN=ca");
        using var node = TestCertificates.IssuedBy(ca, "CN=node");
        var pfx = _certificates.WritePfx("node.pfx", Password, node);
        var (exitCode, _, error) = Run(["node", "--seed-nodes", TlsSeed, "--tls-cert", pfx, "--tls-password-env", _passwordEnv]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: --tls-cert: '{pfx}' has no self-signed certificate (the node's own, or its CA's) to trust peers by (see --help)\n",
            error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_password_variable_that_is_not_set_is_one_line_and_exit_2()
    {
        using var cluster = TestCertificates.SelfSigned();
        var pfx = _certificates.WritePfx("cluster.pfx", Password, cluster);
        var unset = $"SCMI_TLS_TEST_UNSET_{Guid.NewGuid():N}";
        var (exitCode, _, error) = Run(["node", "--seed-nodes", TlsSeed, "--tls-cert", pfx, "--tls-password-env", unset]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: --tls-password-env: the environment variable '{unset}' is not set (see --help)\n", error.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("--tls-password-env X", "--tls-password-env: only with --tls-cert")]
    [InlineData("--seed-nodes akka.ssl.tcp://scmi-actors@127.0.0.1:4054",
        "--seed-nodes: 'akka.ssl.tcp://scmi-actors@127.0.0.1:4054' is a TLS address; give --tls-cert, or use akka.tcp://")]
    public void TLS_options_that_do_not_fit_are_one_line_and_exit_2(string bad, string message)
    {
        var (exitCode, output, error) = Run(["node", "--seed-nodes", "akka.tcp://scmi-actors@127.0.0.1:4053", .. bad.Split(' ')]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: {message} (see --help)\n", error.ReplaceLineEndings("\n"));
        Assert.Equal("", output);
    }

    [Fact]
    public void With_a_certificate_a_plain_seed_address_is_one_line_and_exit_2()
    {
        using var cluster = TestCertificates.SelfSigned();
        var pfx = _certificates.WritePfx("cluster.pfx", Password, cluster);
        var (exitCode, _, error) = Run(["node", "--seed-nodes", "akka.tcp://scmi-actors@127.0.0.1:4053", "--tls-cert", pfx, "--tls-password-env", _passwordEnv]);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("scmi-actors: --seed-nodes: 'akka.tcp://scmi-actors@127.0.0.1:4053' is not a TLS address: with --tls-cert, nodes are " +
                     "akka.ssl.tcp://scmi-actors@HOST:PORT (see --help)\n", error.ReplaceLineEndings("\n"));
    }

    private CliProcess StartTlsNode(int port, string seed, string pfx) =>
        CliProcess.Start("node", "--port", port.ToString(), "--seed-nodes", seed, "--tls-cert", pfx, "--tls-password-env", _passwordEnv);

    /// <summary>
    /// Connects with TLS but shows no certificate, and writes a frame. With TLS 1.3 the client's side of
    /// the handshake may complete before the server has looked at the (missing) client certificate, so
    /// the refusal shows on the next read: an alert (IOException) or the end of the stream.
    /// </summary>
    private static async Task<bool> TlsClientWithoutCertificateIsDropped(int port)
    {
        using var cancel = new CancellationTokenSource(Bound);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancel.Token);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" }, cancel.Token);
            await tls.WriteAsync(new byte[] { 0, 0, 0, 4, 1, 2, 3, 4 }, cancel.Token);
            await tls.FlushAsync(cancel.Token);
            return await tls.ReadAsync(new byte[256], cancel.Token) == 0;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            return true;
        }
    }

    private void Dump(List<CliProcess> nodes)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            _log.WriteLine($"--- node {i}:\n{nodes[i].Output}{nodes[i].Error}");
            nodes[i].Dispose();
        }
    }

    private static (int ExitCode, string Output, string Error) Run(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = Program.Run(args, TextReader.Null, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

}
