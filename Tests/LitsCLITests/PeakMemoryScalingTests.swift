import Foundation
import XCTest
import LiTSCore

/// Peak memory does not grow with the number of cases (benchmarks/scale.sh measures it on
/// LiTS-sized cases; this is the fast check). `lits preprocess` and `lits evaluate` run on 2 and
/// on 8 copies of one phantom case; the peak resident memory of the two runs may differ by less
/// than three of the case's working volumes. Anything kept per case that is volume-sized (a result holding a volume, a cache, an allocator that keeps
/// taking fresh pages) adds at least one volume per extra case: six here, more than the margin.
final class PeakMemoryScalingTests: XCTestCase {
    /// 256x256x32: one CT as Float32 is 8.4 MB.
    static let shape = [256, 256, 32]
    static var floatVolumeBytes: Int { shape.reduce(4, *) }

    func testPreprocessAndEvaluatePeakMemoryDoesNotGrowWithTheCases() throws {
        #if os(Linux)
        let dir = try makeTempDir(self)
        let source = "\(dir)/source"
        try writePhantomCase(dir: source, id: 0, shape: Self.shape, ext: "nii")
        let margin = 3 * Self.floatVolumeBytes / 1024   // KB, as VmHWM
        var peaks: [String: [Int: Int]] = [:]
        for n in [2, 8] {
            let data = "\(dir)/cases-\(n)", pred = "\(dir)/pred-\(n)"
            for folder in [data, pred] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            for id in 0..<n {
                try FileManager.default.copyItem(atPath: "\(source)/volume-0.nii", toPath: "\(data)/volume-\(id).nii")
                try FileManager.default.copyItem(atPath: "\(source)/segmentation-0.nii", toPath: "\(data)/segmentation-\(id).nii")
                // A perfect prediction: evaluate still does all its work (metrics, surfaces, montage).
                try FileManager.default.copyItem(atPath: "\(source)/segmentation-0.nii", toPath: "\(pred)/segmentation-\(id).nii")
            }
            let preprocess = try peakResidentKB(["preprocess", data, "--out", "\(dir)/pre-\(n)"])
            XCTAssertEqual(preprocess.status, 0, "lits preprocess on \(n) cases")
            let evaluate = try peakResidentKB(["evaluate", "--pred", pred, "--truth", data, "--out", "\(dir)/eval-\(n)"])
            XCTAssertEqual(evaluate.status, 0, "lits evaluate on \(n) cases")
            peaks["preprocess", default: [:]][n] = preprocess.kilobytes
            peaks["evaluate", default: [:]][n] = evaluate.kilobytes
            print("PeakMemoryScalingTests: \(n) cases: preprocess \(preprocess.kilobytes) KB, evaluate \(evaluate.kilobytes) KB")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/pre-8").filter { $0.hasPrefix("vol") }.count, 8)
        for (stage, peak) in peaks {
            let two = try XCTUnwrap(peak[2]), eight = try XCTUnwrap(peak[8])
            XCTAssertGreaterThan(two, Self.floatVolumeBytes / 1024, "\(stage): a peak below one volume was not measured")
            XCTAssertLessThan(eight - two, margin, "\(stage): peak \(two) KB on 2 cases, \(eight) KB on 8: it grows with the cases")
        }
        #else
        throw XCTSkip("peak resident memory from wait4 is read on Linux")
        #endif
    }

    /// Runs `lits args...` (output discarded) and returns its exit status and its peak resident
    /// memory in KB: the child's VmHWM in /proc, read every 5 ms until it exits (the peak comes
    /// while cases are worked on, long before the end). Not wait4's ru_maxrss: a child spawned by
    /// this test process inherits its parent's high-water mark at exec.
    private func peakResidentKB(_ args: [String]) throws -> (status: Int32, kilobytes: Int) {
        #if os(Linux)
        let argv = ([litsExecutable()] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { _, ours in ours }
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, litsExecutable(), &actions, nil, argv, envp)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        var status: Int32 = 0, peak = 0
        while true {
            // Read before checking for the exit, so the last read is as late as it can be.
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
                peak = max(peak, kb)
            }
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
            usleep(5000)
        }
        // WIFEXITED / WEXITSTATUS by hand (the macros are not imported).
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exit, peak)
        #else
        return (0, 0)
        #endif
    }
}
