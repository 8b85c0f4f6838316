import Foundation
import XCTest
@testable import LiTSCore
import LiTSImaging
@testable import LiTSAnalysis

/// The QA checks on real NIfTI files made from the phantom: each broken copy is found by the
/// right check with the right severity, and the clean case gives no error and no warning.
final class QATests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "litskit-qa-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { [dir] in try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Writes the case as files and runs the per-case QA on what is read back.
    func facts(_ ct: Volume<Float>, _ labels: LabelMap?, id: String, segmentationGrid: Grid? = nil) throws -> QACaseFacts {
        let folder = "\(dir)/\(id)"
        var seg = labels
        if let g = segmentationGrid { seg?.grid = g }
        try QAPhantom.write(ct, seg, dir: folder, id: id)
        return try QARun.analyse(try Dataset.discover(folder)[0], into: nil)
    }

    func serious(_ findings: [QAFinding]) -> [QAFinding] { findings.filter { $0.severity != .note } }

    func testCleanCaseHasNoErrorAndNoWarning() throws {
        let (ct, labels) = QAPhantom.make()
        let f = try facts(ct, labels, id: "1")
        XCTAssertEqual(f.bodyWidthMM!, 330, accuracy: 12)
        XCTAssertEqual(f.bodyDepthMM!, 240, accuracy: 12)
        XCTAssertEqual(f.liverML / 1000, 1.5, accuracy: 0.1)
        XCTAssertFalse(f.bodyCutLeftRight)
        XCTAssertEqual(f.liverTouches, [])
        XCTAssertGreaterThan(f.liverCentroid![0], f.bodyCentreI!, "liver on the patient's right (+i in RAS+)")
        let findings = QAChecks.caseFindings(f)
        XCTAssertEqual(serious(findings), [], findings.map { "\($0.check): \($0.measured)" }.joined(separator: "; "))
        XCTAssertEqual(findings.map(\.check), ["intensity: contrast phase (estimate)"])
        XCTAssertTrue(findings[0].measured.hasSuffix("portal venous"))
        // A second, different patient: clean too, and not a duplicate of the first.
        let (ct2, labels2) = QAPhantom.make(variant: 1)
        let f2 = try facts(ct2, labels2, id: "2")
        XCTAssertEqual(serious(QAChecks.all([f, f2])), [])
    }

    func testSpacingDividedByEightIsAnErrorWithTheFactor() throws {
        let (ct0, labels0) = QAPhantom.make()
        var (ct, labels) = (ct0, labels0)
        let grid = Grid(shape: QAPhantom.shape, spacing: QAPhantom.spacing.map { $0 / 8 })
        ct.grid = grid
        labels.grid = grid
        let findings = QAChecks.caseFindings(try facts(ct, labels, id: "3"))
        let width = try XCTUnwrap(findings.first { $0.check == "spacing: body width" })
        XCTAssertEqual(width.severity, .error)
        XCTAssertTrue(width.action.contains("x (left-right) spacing 0.750 mm is most likely wrong by a factor of 8.0"), width.action)
        XCTAssertEqual(findings.first { $0.check == "spacing: body depth" }?.severity, .error)
        XCTAssertEqual(findings.first { $0.check == "spacing: liver volume" }?.severity, .error)
        XCTAssertEqual(findings.first { $0.check == "spacing: liver extent" }?.severity, .error)
        XCTAssertNotNil(width.evidence)
    }

    func testFlippedAndCroppedCopyIsANearDuplicate() throws {
        let (ct, labels) = QAPhantom.make()
        let a = try facts(ct, labels, id: "4")
        let b = try facts(QAPhantom.flippedAndCropped(ct, keep: 3..<36), QAPhantom.flippedAndCropped(labels, keep: 3..<36), id: "5")
        let c = try facts(QAPhantom.flippedAndCropped(ct, keep: 0..<33, transpose: true), nil, id: "6")
        let findings = QAChecks.all([a, b, c])
        let dups = findings.filter { $0.check == "duplicate: near-duplicate" }
        XCTAssertEqual(dups.map(\.caseID).sorted(), ["5", "6", "6"], findings.map { "\($0.caseID) \($0.check): \($0.measured)" }.joined(separator: "\n"))
        XCTAssertTrue(dups.allSatisfy { $0.severity == .warning })
        XCTAssertTrue(dups.contains { $0.caseID == "6" && $0.measured.contains("case 4") && $0.measured.contains("axes") })
        // The header was kept while the array was mirrored: the liver now lies on the patient's left.
        XCTAssertEqual(findings.first { $0.caseID == "5" && $0.check == "label anatomy: liver on the left" }?.severity, .warning)
        XCTAssertFalse(findings.contains { $0.check == "duplicate: identical" })
    }

    func testArrayFlippedFrontToBackPutsTheSpineAnterior() throws {
        let (ct, labels) = QAPhantom.make()
        func flipJ<T>(_ v: Volume<T>) -> Volume<T> {
            var out = v
            for k in 0..<40 { for j in 0..<64 { for i in 0..<64 { out[i, 63 - j, k] = v[i, j, k] } } }
            return out
        }
        let findings = QAChecks.caseFindings(try facts(flipJ(ct), flipJ(labels), id: "15"))
        XCTAssertEqual(findings.first { $0.check == "orientation: spine anterior" }?.severity, .warning, findings.map(\.check).joined(separator: ", "))
        XCTAssertNil(findings.first { $0.check == "label anatomy: liver on the left" }, "left-right is unchanged")
    }

    func testIdenticalVoxelsUnderAnotherHeaderAreAnError() throws {
        let (ct, labels) = QAPhantom.make()
        var other = ct
        other.grid = Grid(shape: ct.shape, spacing: [6, 6, 5], origin: [-100, 20, 300])
        let findings = QAChecks.all([try facts(ct, labels, id: "7"), try facts(other, nil, id: "8")])
        let dup = try XCTUnwrap(findings.first { $0.check == "duplicate: identical" })
        XCTAssertEqual(dup.caseID, "8")
        XCTAssertEqual(dup.severity, .error)
        XCTAssertFalse(findings.contains { $0.check == "duplicate: near-duplicate" }, "one finding per pair")
    }

    func testLabelShiftedAgainstItsImage() throws {
        let (ct, labels) = QAPhantom.make()
        var shifted = LabelMap(grid: labels.grid, repeating: 0)
        for k in 0..<40 { for j in 0..<(64 - 15) { for i in 0..<64 { shifted[i, j + 15, k] = labels[i, j, k] } } }
        let findings = QAChecks.caseFindings(try facts(ct, shifted, id: "9"))
        let outside = try XCTUnwrap(findings.first { $0.check == "image-label: outside body" }, findings.map(\.check).joined(separator: ", "))
        XCTAssertEqual(outside.severity, .error)
        XCTAssertEqual(findings.first { $0.check == "image-label: HU under label" }?.severity, .error)
        XCTAssertEqual(outside.evidence?.plane, .axial)
    }

    func testLabelWithAnotherAffineIsAnErrorNotAFailure() throws {
        let (ct, labels) = QAPhantom.make()
        let moved = Grid(shape: ct.shape, spacing: QAPhantom.spacing, origin: [0, 30, 0])
        let findings = QAChecks.caseFindings(try facts(ct, labels, id: "10", segmentationGrid: moved))
        let f = try XCTUnwrap(findings.first { $0.check == "image-label: affine" })
        XCTAssertEqual(f.severity, .error)
        XCTAssertTrue(f.measured.contains("30 mm apart"), f.measured)
    }

    func testTumourMovedOutsideTheLiver() throws {
        let (ct, labels) = QAPhantom.make()
        var moved = labels
        for n in moved.voxels.indices where moved.voxels[n] == 2 { moved.voxels[n] = 1 }
        // A sphere of radius 20 mm in the left half of the body, away from the liver.
        for k in 0..<40 { for j in 0..<64 { for i in 0..<64 {
            let x = (Double(i) - 31.5) * 6 + 80, y = (Double(j) - 31.5) * 6, z = Double(k) * 5 - 80
            if x * x + y * y + z * z < 400 { moved[i, j, k] = 2 }
        } } }
        let findings = QAChecks.caseFindings(try facts(ct, moved, id: "11"))
        let f = try XCTUnwrap(findings.first { $0.check == "label anatomy: tumour outside liver" })
        XCTAssertEqual(f.severity, .error)
        XCTAssertTrue(f.measured.hasPrefix("1 tumour component"), f.measured)
        XCTAssertEqual(f.evidence?.index, 16, "the slice through the moved tumour")
    }

    func testUncalibratedCopyIsAnError() throws {
        let (ct, labels) = QAPhantom.make()
        let findings = QAChecks.caseFindings(try facts(ct.map { $0 + 1024 }, labels, id: "12"))
        let f = try XCTUnwrap(findings.first { $0.check == "intensity: not calibrated" })
        XCTAssertEqual(f.severity, .error)
        XCTAssertTrue(f.action.contains("-1024 offset"), f.action)
        XCTAssertEqual(findings.filter { $0.severity == .error }.count, 1, "one cause, one error: \(findings.map(\.check))")
    }

    func testPaddingFragmentsTinyLesionsAndThickSlices() throws {
        var (ct, labels) = QAPhantom.make()
        for n in 0..<(64 * 64) where ct.voxels[n] == -1000 { ct.voxels[n] = -3024 }
        labels[40, 30, 25] = 0
        labels[10, 10, 10] = 1  // a one-voxel liver fragment inside the body
        ct.grid = Grid(shape: ct.shape, spacing: [6, 6, 6])
        labels.grid = ct.grid
        let findings = QAChecks.caseFindings(try facts(ct, labels, id: "13"))
        XCTAssertEqual(findings.first { $0.check == "intensity: padding" }?.severity, .note)
        XCTAssertEqual(findings.first { $0.check == "label anatomy: liver fragments" }?.severity, .note)
        XCTAssertEqual(findings.first { $0.check == "field of view: slice spacing" }?.severity, .note)
    }

    /// The duplicate search's cost grows with the pairs: 20 near-identical cases (the worst case:
    /// every pair is refined) here; `lits-bench` times 131 cases in a release build.
    func testDuplicateSearchSpeed() throws {
        let (ct, _) = QAPhantom.make()
        // LiTS-like fingerprints: about 22 x 22 x 20 cells.
        var big = Volume<Float>(grid: Grid(shape: [88, 88, 80], spacing: [4, 4, 4]), repeating: -1000)
        for k in 0..<80 { for j in 0..<88 { for i in 0..<88 { big[i, j, k] = ct[min(63, i * 64 / 88), min(63, j * 64 / 88), min(39, k / 2)] } } }
        let base = QAFingerprint(big)
        XCTAssertEqual(base.shape, [22, 22, 20])
        let facts0 = try facts(ct, nil, id: "14")
        let cases = (0..<20).map { n -> QACaseFacts in
            var f = facts0
            f.id = String(n)
            f.voxelHash = String(n)
            f.fingerprint = QAFingerprint(shape: base.shape, values: base.values.enumerated().map { Int16(clamping: Int($0.element) + ($0.element > -500 ? (($0.offset * (n + 7)) % 97) - 48 : 0)) })
            return f
        }
        let start = Date()
        _ = QADuplicates.findings(cases)
        let seconds = Date().timeIntervalSince(start)
        print("duplicate search over 20 cases: \(String(format: "%.2f", seconds)) s")
        XCTAssertLessThan(seconds, 20)
    }
}
