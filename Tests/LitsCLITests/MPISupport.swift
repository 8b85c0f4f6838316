import Foundation
import XCTest
import LiTSNet

/// `mpirun` for the 2-rank tests. Open MPI is part of the build's set-up (`make setup`), so a
/// missing launcher fails the test instead of skipping it. As root Open MPI needs two opt-in
/// variables, set for the child only; --oversubscribe lets two ranks share fewer cores.
func mpirunPath() throws -> String {
    for dir in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/mpirun") {
        return "\(dir)/mpirun"
    }
    XCTFail("mpirun not found: run `make setup` (installs openmpi-bin and libopenmpi-dev)")
    throw CocoaError(.fileNoSuchFile)
}

func mpiProcess(ranks: Int, _ args: [String], environment: [String: String] = [:]) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try mpirunPath())
    p.arguments = ["--oversubscribe", "-n", String(ranks), litsExecutable()] + args
    var env = ProcessInfo.processInfo.environment
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    p.environment = env.merging(environment) { _, given in given }
    return p
}

/// `mpirun -n ranks lits args...`, its output captured.
@discardableResult
func runLitsMPI(ranks: Int, _ args: [String]) throws -> CLIResult {
    try runCapturing(try mpiProcess(ranks: ranks, args))
}

/// The rank processes mpirun started (its children), by MPI rank.
func rankProcesses(of mpirun: Process) -> [Int: Int32] {
    let pid = mpirun.processIdentifier
    let list = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    var ranks: [Int: Int32] = [:]
    for child in list.split(separator: " ").compactMap({ Int32($0) }) {
        guard let env = FileManager.default.contents(atPath: "/proc/\(child)/environ") else { continue }
        for entry in env.split(separator: 0) {
            let s = String(decoding: entry, as: UTF8.self)
            if s.hasPrefix("OMPI_COMM_WORLD_RANK="), let r = Int(s.dropFirst("OMPI_COMM_WORLD_RANK=".count)) { ranks[r] = child }
        }
    }
    return ranks
}

/// The largest difference between two checkpoints' tensors, leaving out the convolution biases
/// right before a normalisation layer (`conv1.bias`, `conv2.bias` of every block) and batch
/// norm running means, which follow them: the normalisation removes such a bias, so its true
/// gradient is 0 and what backward computes is rounding noise, which Adam scales up to steps of
/// +-lr with a sign that depends on the summation order.
func largestDifference(_ a: String, _ b: String) throws -> (value: Float, name: String, compared: Int) {
    let ta = try Safetensors.read(a).tensors, tb = try Safetensors.read(b).tensors
    XCTAssertEqual(Set(ta.keys), Set(tb.keys))
    var worst: (Float, String, Int) = (0, "", 0)
    for (name, x) in ta where !name.hasSuffix("conv1.bias") && !name.hasSuffix("conv2.bias") && !name.hasSuffix("running_mean") {
        guard let y = tb[name], y.shape == x.shape else { XCTFail("\(name) missing or reshaped in \(b)"); continue }
        worst.2 += 1
        for (u, v) in zip(x.data, y.data) where abs(u - v) > worst.0 || !(u - v).isFinite { worst.0 = abs(u - v); worst.1 = name }
    }
    return worst
}
