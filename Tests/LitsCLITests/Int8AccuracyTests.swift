import Foundation
import XCTest
import LiTSNet
import LiTSCore

/// int8 prediction's accuracy on a fixture model (issue 30: "Dice of every case within 0.002 of
/// fp32"). The fixture: a small U-Net (filters 8,16, patch 16,16,8) trained inside the test,
/// 40 epochs of 4 batches (2 volumes x 2 patches), lr 0.01, no augmentation, on phantom cases 1
/// and 2 (32x32x12: air, a body, a liver ellipsoid and a tumor sphere; writePhantomCase), about
/// 15 s on two cores; it reaches liver Dice 0.97-0.99 and lesion Dice 0.90-0.99, so the
/// comparison is about a model that segments. `lits predict` runs it on those two cases and an
/// unseen third one of another size (36x30x14), once with --precision fp32 and once with
/// --precision int8, and `lits evaluate` scores both against the phantom labels: every case's
/// liver Dice, and lesion Dice, must agree within 0.002. The probability maps must differ (the
/// int8 run is not the fp32 one). With 25 epochs the model finds no tumour (lesion Dice 0 in
/// both), hence 40. (A less trained fixture, filters 4,8 at liver Dice 0.84, moved
/// the liver Dice of these 800-voxel livers by 0.007: one voxel is 0.0013 of Dice there.)
final class Int8AccuracyTests: XCTestCase {
    func testInt8DiceWithinTwoThousandthsOfFP32() throws {
        try XCTSkipUnless(KernelConvolution.isSupported(.int8), "this CPU has neither AVX512_VNNI nor AVX-VNNI")
        let work = try makeTempDir(self), data = work + "/data"
        for id in [1, 2] { try writePhantomCase(dir: data, id: id, shape: [32, 32, 12]) }
        var r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let run = work + "/run"
        r = try runLits(["train", work + "/pre", "--out", run, "--patch", "16,16,8", "--filters", "8,16",
                         "--volumes-per-batch", "2", "--patches-per-volume", "2", "--epochs", "40", "--batches-per-epoch", "4", "--lr", "0.01", "--augment", "none"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try writePhantomCase(dir: data, id: 3, shape: [36, 30, 14])
        var dice: [String: [String: [String: Double]]] = [:]   // precision -> case -> metric -> value
        for precision in ["fp32", "int8"] {
            let out = work + "/pred-" + precision
            r = try runLits(["predict", "--run", run, data, "--out", out, "--precision", precision, "--probabilities"])
            XCTAssertEqual(r.status, 0, r.stderr)
            r = try runLits(["evaluate", "--pred", out, "--truth", data, "--out", work + "/eval-" + precision])
            XCTAssertEqual(r.status, 0, r.stderr)
            let rows = try csvRows(work + "/eval-" + precision + "/data/cases.csv")
            for id in ["1", "2", "3"] {
                for metric in ["liver_dice", "lesion_dice"] {
                    dice[precision, default: [:]][id, default: [:]][metric] = column(rows, metric, case: id).flatMap(Double.init)
                }
            }
        }
        // The int8 run did round: its probability maps are not fp32's.
        let p32 = try NIfTIReader.readFloat(path: work + "/pred-fp32/probability-liver-3.nii.gz").0
        let p8 = try NIfTIReader.readFloat(path: work + "/pred-int8/probability-liver-3.nii.gz").0
        let change = zip(p32.voxels, p8.voxels).map { abs(Double($0) - Double($1)) }.max() ?? 0
        print("case 3: largest change of a liver probability, int8 against fp32: \(change)")
        XCTAssertGreaterThan(change, 1e-6, "the int8 prediction is not the fp32 one")
        for id in ["1", "2", "3"] {
            let a = dice["fp32"]![id]!, b = dice["int8"]![id]!
            print("case \(id): liver Dice fp32 \(a["liver_dice"] ?? .nan) int8 \(b["liver_dice"] ?? .nan), lesion Dice fp32 \(a["lesion_dice"] ?? .nan) int8 \(b["lesion_dice"] ?? .nan)")
            let liver32 = try XCTUnwrap(a["liver_dice"], "case \(id) liver Dice"), liver8 = try XCTUnwrap(b["liver_dice"])
            XCTAssertGreaterThan(liver32, 0.5, "case \(id): the fixture model finds the liver (else the comparison says little)")
            XCTAssertEqual(liver8, liver32, accuracy: 0.002, "case \(id): liver Dice")
            XCTAssertEqual(a["lesion_dice"] == nil, b["lesion_dice"] == nil, "case \(id): lesion Dice defined in both or neither")
            if let l32 = a["lesion_dice"], let l8 = b["lesion_dice"] { XCTAssertEqual(l8, l32, accuracy: 0.002, "case \(id): lesion Dice") }
        }
    }
}

/// int8 is for prediction: `lits train --precision int8` stops before reading anything, in one line.
final class Int8TrainingRefusedTests: XCTestCase {
    func testTrainRefusesInt8() throws {
        let work = try makeTempDir(self)
        let r = try runLits(["train", work + "/none", "--out", work + "/run", "--precision", "int8"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--precision int8 is for prediction only"), r.stderr)
        // Argument errors are ArgumentParser's one "Error: ..." line (then the usage), as for every option.
        XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count, 1, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/run"), "no run folder")
    }
}
