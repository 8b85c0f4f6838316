import Dispatch

/// `DispatchQueue.concurrentPerform` for loops whose iterations share buffers by design, each
/// writing its own part (slices of a volume, chunks of a file). Swift 6 checks captures of a
/// `@Sendable` closure; here the caller vouches for the split, as the engine's NetThreads does.
public enum Parallel {
    public static func perform(iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let shared = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: iterations) { shared.value($0) }
        }
    }

    private struct Unchecked<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }
}
