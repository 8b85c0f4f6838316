import Foundation

extension VolumeMemory {
    /// Hands the pages of freed buffers back to the kernel (glibc's `malloc_trim(0)`: the heap's
    /// top and every free chunk inside every arena). `CaseRunner` calls it after each case.
    ///
    /// Why: `keepFreedBuffers` keeps freed volumes in the heap so a case reuses its own pages, but
    /// across cases the heap only grows: two workers' cases overlap differently each time, a
    /// buffer that no longer fits a freed hole takes fresh pages, and the holes stay resident.
    /// Peak memory then rose with the number of cases (`lits preprocess` 587 -> 707 MB for 4 -> 16
    /// cases of 512x512x120; benchmarks/README.md). Releasing between cases bounds the peak by
    /// what one case (per worker) touches; within a case the reuse stays.
    /// Returns whether any memory was released.
    @discardableResult
    public static func releaseFreedPages() -> Bool {
        #if os(Linux)
        return glibcMallocTrim(0) != 0
        #else
        return false
        #endif
    }

    /// This process's resident memory now and its peak so far, in bytes (Linux /proc/self/status
    /// VmRSS and VmHWM; nil elsewhere or when unreadable).
    public static func residentBytes() -> (now: Int, peak: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func kilobytes(_ key: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        guard let now = kilobytes("VmRSS"), let peak = kilobytes("VmHWM") else { return nil }
        return (now * 1024, peak * 1024)
    }
}

#if os(Linux)
// In <malloc.h>, which the Glibc module leaves out (as for mallopt in HugePages.swift).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
