using Akka.Actor;
using ScmiActors.Transport;
using ScmiActors.Wire;

namespace ScmiActors.Messages;

// The platform registry's protocol: start one handle, stop them all (in order).

/// <summary>Starts a handle; answered with <see cref="PlatformStarted"/> (the handle exists; it may still be initialising) or a <see cref="Status.Failure"/> with a <see cref="PlatformStartException"/>.</summary>
public sealed record StartPlatform(string PlatformId, IScmiTransport Transport, PlatformDescription Description, PlatformOptions Options);

public sealed record PlatformStarted(string PlatformId, IActorRef Handle);

/// <summary>Ordered shutdown of every handle; answered with <see cref="AllPlatformsStopped"/>.</summary>
public sealed record StopAllPlatforms
{
    public static readonly StopAllPlatforms Instance = new();
}

public sealed record AllPlatformsStopped
{
    public static readonly AllPlatformsStopped Instance = new();
}
