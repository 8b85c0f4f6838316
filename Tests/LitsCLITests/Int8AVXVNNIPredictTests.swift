import Foundation
import XCTest
import LiTSCore

/// `lits predict --precision int8` through the AVX-VNNI kernels (CInt8KernelsAVXVNNI, forced by
/// LITSKIT_INT8_KERNELS=avxvnni on a CPU that also has AVX512_VNNI) writes the same probability
/// maps, bit for bit, as through the AVX-512 VNNI ones: the whole U-Net (folded batch norms,
/// ReLU, the fp32 image layer and head around the int8 layers), not one convolution alone.
/// The maps must differ from fp32's (int8 ran). `LITSKIT_INT8_KERNELS=fp32` (no int8 kernels)
/// refuses `--precision int8` with one line.
final class Int8AVXVNNIPredictTests: XCTestCase {
    func testAVXVNNIPredictsTheSameBitsAsAVX512VNNI() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        try XCTSkipUnless(cpuinfo.contains(" avx_vnni") && cpuinfo.contains(" avx512_vnni") && cpuinfo.contains(" avx512f"),
                          "this CPU lacks AVX-VNNI or AVX512_VNNI: nothing to compare")
        let work = try makeTempDir(self), data = work + "/data"
        let run = try trainTinyRun(epochs: 2, data: data, work: work)
        try writePhantomCase(dir: data, id: 3, shape: [36, 30, 14])
        var maps: [String: [Float]] = [:]
        for (name, kernels, precision) in [("avx512vnni", "avx512vnni", "int8"), ("avxvnni", "avxvnni", "int8"), ("fp32", "avxvnni", "fp32")] {
            let out = work + "/pred-" + name
            let r = try runLits(["predict", "--run", run, data, "--out", out, "--precision", precision, "--probabilities"],
                                environment: ["LITSKIT_INT8_KERNELS": kernels])
            XCTAssertEqual(r.status, 0, r.stderr)
            for id in [1, 3] {
                maps[name, default: []] += try NIfTIReader.readFloat(path: out + "/probability-liver-\(id).nii.gz").0.voxels
                maps[name, default: []] += try NIfTIReader.readFloat(path: out + "/probability-lesion-\(id).nii.gz").0.voxels
            }
        }
        let a = try XCTUnwrap(maps["avx512vnni"]), b = try XCTUnwrap(maps["avxvnni"]), f = try XCTUnwrap(maps["fp32"])
        XCTAssertEqual(a.count, b.count)
        XCTAssertGreaterThan(a.count, 20_000)
        XCTAssertEqual(zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count, 0, "AVX-VNNI and AVX-512 VNNI probabilities differ")
        XCTAssertGreaterThan(zip(a, f).map { abs($0 - $1) }.max() ?? 0, 1e-6, "the int8 prediction is not the fp32 one")

        let r = try runLits(["predict", "--run", run, data, "--out", work + "/pred-none", "--precision", "int8"],
                            environment: ["LITSKIT_INT8_KERNELS": "fp32"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("AVX512_VNNI or AVX-VNNI"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/pred-none/segmentation-1.nii.gz"))
    }
}
