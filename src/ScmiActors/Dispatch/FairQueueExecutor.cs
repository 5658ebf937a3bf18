using Akka.Configuration;
using Akka.Dispatch;

namespace ScmiActors.Dispatch;

/// <summary>
/// The executor of <c>scmi.protocol-dispatcher</c>: the .NET thread pool, but every mailbox run is
/// queued on the pool's global queue, which is FIFO. Akka's default executor queues a mailbox that
/// is scheduled from a pool thread on that thread's local queue, which the thread pops last-in
/// first-out before it looks at the global queue: a flooded protocol actor that re-tells itself its
/// wake-up, and the subscribers it feeds, then keep a worker to themselves while a quiet protocol's
/// wake-up (told by the transport's thread, so queued globally) waits behind all of it. Queued
/// globally, with the dispatcher's throughput of 1, each protocol with work gets one drain batch per
/// round (docs/architecture.md, "Fair draining").
/// </summary>
public sealed class FairQueueExecutorConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) => new FairQueueExecutor(id);

    private sealed class FairQueueExecutor(string id) : ExecutorService(id)
    {
        public override void Execute(IRunnable run) => ThreadPool.UnsafeQueueUserWorkItem(run, preferLocal: false);

        public override void Shutdown()
        {
            // the thread pool is not ours to stop
        }
    }
}
