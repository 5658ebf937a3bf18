using ScmiActors.Messages;
using ScmiActors.Platform;
using Xunit;

namespace ScmiActors.Tests.Core;

/// <summary>The registry's lifecycle table, driven without an ActorSystem.</summary>
public sealed class PlatformDirectoryTests
{
    private sealed record Ref(string Name);

    private sealed record Start(string Note);

    private readonly PlatformDirectory<Ref, Ref, Start> _directory = new();
    private readonly Ref _caller = new("caller");

    private Ref Launch(string id)
    {
        Assert.Equal(PlatformDirectory<Ref, Ref, Start>.StartDecision.StartNow, _directory.Start(id, _caller, new Start("first")));
        var handle = new Ref($"{id}-i{_directory.NextIncarnation(id)}");
        _directory.Started(id, handle);
        return handle;
    }

    [Fact]
    public void A_running_platform_is_routed_to_and_a_second_start_is_refused()
    {
        var handle = Launch("soc0");
        Assert.Equal(handle, _directory.RouteTo("soc0"));
        Assert.Equal(PlatformDirectory<Ref, Ref, Start>.StartDecision.AlreadyStarted, _directory.Start("soc0", _caller, new Start("again")));
        Assert.Null(_directory.RouteTo("soc1"));
    }

    [Fact]
    public void A_stop_is_forwarded_once_and_every_requester_is_answered_at_termination()
    {
        var handle = Launch("soc0");
        var a = new Ref("a");
        var b = new Ref("b");
        Assert.Equal(new PlatformDirectory<Ref, Ref, Start>.StopDecision.Forward(handle), _directory.Stop("soc0", a));
        Assert.IsType<PlatformDirectory<Ref, Ref, Start>.StopDecision.Wait>(_directory.Stop("soc0", b));
        // Still routed while it stops: the handle answers as a stopping platform.
        Assert.Equal(handle, _directory.RouteTo("soc0"));
        _directory.Gone(handle);
        Assert.Null(_directory.RouteTo("soc0"));

        var stats = new PlatformStats("soc0", PlatformState.Stopped, null, 0, 0, 0, 0, [], 0, 0);
        _directory.FinalStats(handle, stats);
        var ended = _directory.Terminated(handle)!;
        Assert.Equal([a, b], ended.StopRequesters);
        Assert.Same(stats, ended.FinalStats);
        Assert.Equal(0, _directory.Count);
        Assert.Null(_directory.Terminated(handle));
    }

    [Fact]
    public void A_start_while_stopping_waits_for_termination_and_only_one_may_wait()
    {
        var handle = Launch("soc0");
        _directory.Stop("soc0", _caller);
        var waiting = new Start("second");
        Assert.Equal(PlatformDirectory<Ref, Ref, Start>.StartDecision.AfterStop, _directory.Start("soc0", _caller, waiting));
        Assert.Equal(PlatformDirectory<Ref, Ref, Start>.StartDecision.AlreadyStarted, _directory.Start("soc0", _caller, new Start("third")));

        var ended = _directory.Terminated(handle)!;
        Assert.Same(waiting, ended.NextStart!.Start);
        // The next incarnation has a name of its own.
        Assert.Equal(2, _directory.NextIncarnation("soc0"));
    }

    [Fact]
    public void A_handle_that_ends_abruptly_frees_its_id_and_stopping_an_unknown_id_is_not_found()
    {
        var handle = Launch("soc0");
        Assert.NotNull(_directory.Terminated(handle));
        Assert.Equal(PlatformDirectory<Ref, Ref, Start>.StartDecision.StartNow, _directory.Start("soc0", _caller, new Start("again")));
        Assert.IsType<PlatformDirectory<Ref, Ref, Start>.StopDecision.NotFound>(_directory.Stop("soc0", _caller));
    }

    [Fact]
    public void Stop_all_moves_only_running_platforms_to_stopping()
    {
        var a = Launch("a");
        var b = Launch("b");
        _directory.Stop("b", _caller);
        Assert.Equal([("a", a)], _directory.BeginStopAll());
        Assert.Equal(PlatformDirectory<Ref, Ref, Start>.Phase.Stopping, _directory.PhaseOf("a"));
        Assert.Equal(PlatformDirectory<Ref, Ref, Start>.Phase.Stopping, _directory.PhaseOf("b"));
        Assert.Throws<InvalidOperationException>(() => _directory.Started("a", new Ref("dup")));
        GC.KeepAlive(b);
    }
}
