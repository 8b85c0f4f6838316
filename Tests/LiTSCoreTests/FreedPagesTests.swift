import Foundation
import XCTest
@testable import LiTSCore

/// `VolumeMemory.releaseFreedPages` (called by `CaseRunner` after each case) hands the pages of
/// freed buffers back to the kernel, which `keepFreedBuffers` alone never does.
final class FreedPagesTests: XCTestCase {
    func testFreedBuffersStayResidentUntilReleased() throws {
        #if os(Linux)
        // As `lits` sets it up: freed volume-sized buffers stay in the heap.
        VolumeMemory.keepFreedBuffers()
        // Afterwards this process's other tests get what glibc's dynamic thresholds settle at
        // once large buffers were freed (mmap at 32 MB and up, trim above 64 MB).
        defer { _ = testMallopt(-3, 32 << 20); _ = testMallopt(-1, 64 << 20) }
        let megabytes = 1 << 20, count = 48, size = 4 * megabytes   // 192 MB in 4 MB buffers
        VolumeMemory.releaseFreedPages()
        let before = try XCTUnwrap(VolumeMemory.residentBytes())
        XCTAssertGreaterThanOrEqual(before.peak, before.now)

        var buffers: [UnsafeMutableRawPointer] = []
        for _ in 0..<count {
            let p = try XCTUnwrap(malloc(size))
            memset(p, 1, size)   // touched: resident
            buffers.append(p)
        }
        let touched = try XCTUnwrap(VolumeMemory.residentBytes())
        XCTAssertGreaterThan(touched.now - before.now, count * size * 9 / 10, "the buffers were written, so they are resident")
        for p in buffers { free(p) }
        let freed = try XCTUnwrap(VolumeMemory.residentBytes())
        XCTAssertGreaterThan(freed.now - before.now, count * size * 8 / 10,
                             "with keepFreedBuffers the freed buffers stay in the process (then the next case reuses them)")

        XCTAssertTrue(VolumeMemory.releaseFreedPages(), "malloc_trim released memory")
        let released = try XCTUnwrap(VolumeMemory.residentBytes())
        XCTAssertLessThan(released.now - before.now, count * size / 10, "the freed buffers' pages went back to the kernel")
        // VmHWM is updated from per-thread counters that lag a little: a few MB of slack.
        XCTAssertGreaterThan(released.peak, touched.now - 16 * megabytes, "the peak (VmHWM) remembers the buffers")
        #else
        throw XCTSkip("glibc's malloc_trim and /proc are Linux's")
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func testMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
