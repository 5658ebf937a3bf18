using Akka.Actor;

namespace ScmiActors.Subscriptions;

/// <summary>
/// Props that create an actor by calling a factory. <c>Props.Create(() => new T(...))</c> takes the
/// constructor's arguments apart from an expression tree (compiling each) and creates the actor by
/// reflection, at every creation; a handle creates one source actor per subscribed source, so that
/// cost is paid hundreds of thousands of times. Local actors only: a delegate does not serialize.
/// </summary>
internal static class ActorFactory
{
    public static Props Props<TActor>(Func<TActor> create) where TActor : ActorBase => Akka.Actor.Props.CreateBy(new Producer<TActor>(create));

    private sealed class Producer<TActor>(Func<TActor> create) : IIndirectActorProducer where TActor : ActorBase
    {
        public Type ActorType => typeof(TActor);

        public ActorBase Produce() => create();

        public void Release(ActorBase actor) { }
    }
}
