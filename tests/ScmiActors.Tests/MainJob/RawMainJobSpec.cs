using System.Buffers.Binary;
using ScmiActors.Cli;
using ScmiActors.Cli.MainJob;
using ScmiActors.Emulator;
using ScmiActors.Platform;
using ScmiActors.Tests.Cli;
using ScmiActors.Tests.Transports;
using ScmiActors.Transport;
using ScmiActors.Transport.Raw;
using ScmiActors.Wire;
using Xunit;
using Xunit.Abstractions;

namespace ScmiActors.Tests.MainJob;

/// <summary>
/// The main job on a "board" in Linux raw mode: the real raw-mode transport reads the fake debugfs
/// (named pipes, one message per open/close), behind which an emulated platform answers the commands
/// the fake kernel takes and queues its notifications as the kernel would.
/// </summary>
public sealed class RawMainJobSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task Run_raw_discovers_the_board_subscribes_and_only_listens()
    {
        using var fake = new RawFakeDebugfs();
        var description = PlatformDescriptionLoader.Parse(File.ReadAllText(RepoPaths.PlatformsConf), "soc0");
        await using var emulator = new EmulatedPlatform((header, payload) =>
        {
            var message = new byte[4 + payload.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(message, header);
            payload.CopyTo(message.AsSpan(4));
            if (ScmiHeader.TypeOf(header) == MessageType.Command) fake.Kernel.Reply(message); // a type-0 message from the platform is a response
            else fake.Kernel.Notify(message);
            return IngestResult.Queued;
        }, description, MainJobRunner.Scale(EmulatorScenario.Default, 20));
        fake.Responder = command =>
        {
            emulator.HandleCommand(BinaryPrimitives.ReadUInt32LittleEndian(command), command.AsSpan(4));
            return null;
        };
        var text = new StringWriter();
        var options = new MainJobOptions(Duration: TimeSpan.FromSeconds(2), Raw: Path.Combine(fake.ScmiRoot, "0"), RawOptions: fake.Options with { MaxCommandsInFlight = 1 }, // the handle enables many sources at once
            RawTransportCreated: transport => fake.Start(transport));
        var running = new MainJobRunner(options, text).RunAsync(CancellationToken.None);
        emulator.Start(); // its ticks queue nothing until the handle enables a source
        var result = await running.WaitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine(text.ToString());

        Assert.Null(fake.Fault);
        Assert.Equal(0, result.ExitCode);
        var platform = Assert.Single(result.Platforms);
        Assert.Equal("raw0", platform.PlatformId);
        Assert.Equal(LinkOutcome.RawMode, platform.Link?.Kind);
        Assert.Null(platform.Link?.Platform); // the kernel keeps no count of what it overwrote
        Assert.True(platform.Consistent, string.Join("; ", platform.Mismatches));
        // Discovery found soc0's protocols over the raw link, and the subscribers received their reports.
        Assert.Contains(platform.Dispatcher.Protocols, p => p.Protocol == ScmiProtocolId.Perf && p.Registered && p.Delivered > 0);
        Assert.Contains(result.Subscribers, s => s.Name.StartsWith("audit", StringComparison.Ordinal) && s.Reports > 0);
        // Listening only: the thermal governor sent no PERFORMANCE_LIMITS_SET to the board.
        var commands = new List<byte[]>();
        while (TryNext(fake, out var c)) commands.Add(c);
        Assert.DoesNotContain(commands, c => ScmiHeader.ProtocolOf(BinaryPrimitives.ReadUInt32LittleEndian(c)) == ScmiProtocolId.Perf
                                              && ScmiHeader.MessageIdOf(BinaryPrimitives.ReadUInt32LittleEndian(c)) == ScmiCommands.Perf.LimitsSet);
        Assert.Contains(commands, c => ScmiHeader.MessageIdOf(BinaryPrimitives.ReadUInt32LittleEndian(c)) == ScmiCommands.Perf.NotifyLevel
                                       && ScmiHeader.ProtocolOf(BinaryPrimitives.ReadUInt32LittleEndian(c)) == ScmiProtocolId.Perf);
        var summary = text.ToString();
        Assert.Contains("Platform raw0 (Linux raw mode)", summary);
        Assert.Contains("losses before the agent read are undetectable", summary);
        Assert.Contains("notification-losses=undetectable", summary);
    }

    private static bool TryNext(RawFakeDebugfs fake, out byte[] command)
    {
        try
        {
            command = fake.NextCommandAsync(TimeSpan.FromMilliseconds(50)).GetAwaiter().GetResult();
            return true;
        }
        catch (TimeoutException)
        {
            command = [];
            return false;
        }
    }

    private static (int ExitCode, string Error) Run(params string[] args)
    {
        var error = new StringWriter();
        var exitCode = Program.Run(args, TextReader.Null, new StringWriter(), error);
        return (exitCode, error.ToString());
    }

    [Fact]
    public void A_raw_path_that_is_not_there_is_one_line_and_exit_2()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-scmi-{Guid.NewGuid():N}", "0");
        var (exitCode, error) = Run("run", "--raw", missing, "--duration", "1");
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal($"scmi-actors: --raw: {missing} does not exist", error.Split(" (an SCMI")[0]);
        Assert.Contains("CONFIG_ARM_SCMI_RAW_MODE_SUPPORT", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void A_directory_that_is_not_an_instance_number_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("scmi-notnum-");
        try
        {
            var (exitCode, error) = Run("--raw", dir.FullName, "--duration", "1");
            Assert.Equal(ExitCodes.Usage, exitCode);
            Assert.Contains("is not an SCMI instance directory", error);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--rate", "5")]
    [InlineData("--platforms", "2")]
    [InlineData("--fault", "storm")]
    [InlineData("--link", "in-memory")]
    [InlineData("--connect", "/tmp/x")]
    [InlineData("--no-discovery", null)]
    public void Options_about_emulated_platforms_are_refused_with_raw(string option, string? value)
    {
        string[] args = value is null ? ["run", "--raw", "/sys/kernel/debug/scmi/0", option] : ["run", "--raw", "/sys/kernel/debug/scmi/0", option, value];
        var (exitCode, error) = Run(args);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains($"{option}: does not apply with --raw", error);
    }

    [Fact]
    public void A_config_that_mixes_raw_and_emulated_platforms_is_a_configuration_error()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """
                scmi.platforms {
                  board { transport = raw, raw-path = "/sys/kernel/debug/scmi/0" }
                  soc0 { transport = emulated, protocols { base { version = "2.0" } } }
                }
                """);
            var (exitCode, error) = Run("--config", file, "--duration", "1");
            Assert.Equal(ExitCodes.ConfigError, exitCode);
            Assert.Contains("scmi.platforms.board.transport: raw-mode platforms (a real board) and emulated ones (soc0) cannot run together", error);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
