import Foundation

/// Large volume buffers (hundreds of MB) pay the kernel a page fault per 4 KiB page on first
/// touch, which can cost more than the work done on the buffer (benchmarks/constants.md).
/// Asking for transparent huge pages (as numpy does for
/// large arrays) cuts the faults 512-fold.
public enum HugePages {
    /// A transparent huge page on x86-64 Linux.
    static let hugePageBytes = 2 << 20
    /// Buffers smaller than this (four huge pages) are not advised.
    static let minimumAdvisedBytes = 4 * hugePageBytes

    public static func advise(_ base: UnsafeMutableRawPointer?, bytes: Int) {
        #if os(Linux)
        let huge = hugePageBytes
        guard bytes >= minimumAdvisedBytes, let base else { return }
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

/// How the process keeps memory between volumes.
public enum VolumeMemory {
    /// Lets freed volume-sized buffers stay in the process instead of going back to the kernel,
    /// so the next case or method reuses pages that are already mapped (a fresh page can cost
    /// more than the work done on it). The tools call it once at start; resident memory
    /// then stays at its peak instead of shrinking between cases.
    public static func keepFreedBuffers() {
        #if os(Linux)
        // glibc's <malloc.h> is not in the Glibc module: M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3.
        _ = glibcMallopt(-3, Int32.max / 2)
        _ = glibcMallopt(-1, Int32.max / 2)
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
