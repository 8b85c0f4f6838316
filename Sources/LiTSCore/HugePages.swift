import Foundation

/// Large volume buffers (hundreds of MB) pay the kernel a page fault per 4 KiB page on first
/// touch; on the virtual machines we run on that costs more than the work itself. Asking for
/// transparent huge pages (as numpy does for large arrays) cuts the faults 512-fold.
public enum HugePages {
    public static func advise(_ base: UnsafeMutableRawPointer?, bytes: Int) {
        #if os(Linux)
        let huge = 2 << 20
        guard bytes >= 4 * huge, let base else { return }
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + bytes) & ~(huge - 1)
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
    }

    /// A new array of `count` elements filled by `body`, its storage advised as huge pages
    /// before the first write.
    @inlinable
    public static func array<T>(count: Int, _ body: (UnsafeMutableBufferPointer<T>) throws -> Void) rethrows -> [T] {
        try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            advise(UnsafeMutableRawPointer(buffer.baseAddress), bytes: count * MemoryLayout<T>.stride)
            try body(buffer)
            initialized = count
        }
    }
}
