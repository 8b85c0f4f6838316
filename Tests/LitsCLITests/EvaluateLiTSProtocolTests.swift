import Foundation
import XCTest
import LiTSCore

/// `lits evaluate --protocol lits` end to end on the crafted cases of
/// LiTSEvaluationTests/Fixtures/lits_protocol: its scores.txt is the official program's, byte for byte.
final class EvaluateLiTSProtocolTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LiTSEvaluationTests/Fixtures/lits_protocol")

    func testScoresTxtEqualsTheOfficialProgram() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), out = try makeTempDir(self) + "/report"
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.appendingPathComponent("ref").path).filter { $0.hasSuffix(".nii") }.sorted()
        XCTAssertEqual(names.count, 11)
        for name in names {
            let id = Int(name.dropFirst("case-".count).dropLast(".nii".count))!
            let ref = Self.fixtures.appendingPathComponent("ref/\(name)").path
            let (labels, _) = try NIfTIReader.readLabels(path: ref)
            try NIfTIWriter.write(Volume<Int16>(grid: labels.grid, repeating: 40), to: "\(truth)/volume-\(id).nii")
            try FileManager.default.copyItem(atPath: ref, toPath: "\(truth)/segmentation-\(id).nii")
            try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("res/\(name)").path, toPath: "\(pred)/segmentation-\(id).nii")
        }
        let r = try runLits(["evaluate", "--protocol", "lits", "--pred", pred, "--truth", truth, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let official = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("official.json"))) as! [String: Any]
        let expected = (official["dataset"] as! [String: Any])["scores_txt"] as! String
        XCTAssertEqual(try String(contentsOfFile: out + "/data/scores.txt", encoding: .utf8), expected)
        XCTAssertTrue(r.stdout.hasPrefix(expected), r.stdout)
        // Full precision in the JSON.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/data/lits-scores.json"))) as! [String: Any]
        let values = json["official"] as! [String: Double]
        let detection = (official["dataset"] as! [String: Any])["lesion_detection_metrics"] as! [String: Double]
        XCTAssertEqual(values["lesion_recall_greater_zero"]!, detection["recall_greater_zero"]!, accuracy: 1e-12)
        XCTAssertEqual((json["cases"] as! [Any]).count, 11)
        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("| > 0.5 | 4 | 22 | 26 |"), page)
        let groups = try String(contentsOfFile: out + "/data/lits-groups.csv", encoding: .utf8)
        XCTAssertTrue(groups.contains("\n2,1,1 2,1,"), "case 2: one prediction over reference lesions 1 and 2\n" + groups)
    }

    func testLiTSProtocolRefusesDefaultProtocolOptions() throws {
        let r = try runLits(["evaluate", "--protocol", "lits", "--any-overlap", "--pred", "p", "--truth", "t", "--out", "o"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("belong to the default protocol"), r.stderr)
        let bad = try runLits(["evaluate", "--protocol", "brats", "--pred", "p", "--truth", "t", "--out", "o"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("default") && bad.stderr.contains("lits"), bad.stderr)
    }
}
