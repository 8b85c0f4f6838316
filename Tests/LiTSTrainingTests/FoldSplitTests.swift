import Foundation
import XCTest
import LiTSCore
@testable import LiTSTraining

/// nnU-Net's folds: scikit-learn's KFold(shuffle=True, random_state=12345) on the sorted case ids
/// (Fixtures/kfold.json, from scripts/make_kfold_fixture.py), and the splits_final.json format.
final class FoldSplitTests: XCTestCase {
    struct Fixture: Decodable {
        struct Entry: Decodable { var ids: [String]; var k: Int; var folds: [FoldSplit] }
        var cases: [Entry]
    }

    func fixture() throws -> Fixture {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("kfold.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testFoldsEqualScikitLearnKFold() throws {
        let entries = try fixture().cases
        XCTAssertGreaterThanOrEqual(entries.count, 80)
        XCTAssertTrue(entries.contains { $0.ids.count == 131 && $0.k == 5 }, "the LiTS training set's 131 cases, 5 folds")
        for e in entries {
            XCTAssertEqual(FoldSplits.kFold(ids: e.ids, folds: e.k), e.folds, "\(e.ids.count) ids, K = \(e.k): \(e.ids.prefix(4))...")
        }
    }

    /// The generator itself: MT19937's reference outputs for init_genrand(5489) (the 10000th is
    /// C++'s std::mt19937 check value), numpy's first raw words after legacy seeding with 12345
    /// (`MT19937()._legacy_seeding(12345); random_raw(3)`) and `RandomState(12345).shuffle` of
    /// arange(10), both from numpy 2.4.
    func testMersenneTwisterReferenceOutputs() {
        var mt = MersenneTwister(seed: 5489)
        XCTAssertEqual((0..<3).map { _ in mt.next() }, [3_499_211_612, 581_869_302, 3_890_346_734])
        var other = MersenneTwister(seed: 5489)
        for _ in 0..<9999 { _ = other.next() }
        XCTAssertEqual(other.next(), 4_123_659_995, "the 10000th output of the reference implementation")
        var numpy = MersenneTwister(seed: 12345)
        XCTAssertEqual((0..<3).map { _ in numpy.next() }, [3_992_670_690, 3_823_185_381, 1_358_822_685])
        var shuffled = Array(0..<10)
        var rng = MersenneTwister(seed: 12345)
        rng.shuffle(&shuffled)
        XCTAssertEqual(shuffled, [0, 7, 3, 9, 6, 4, 1, 8, 5, 2])
    }

    func testSplitsFileRoundTripAndChecks() throws {
        let dir = NSTemporaryDirectory() + "litskit-splits-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let folds = FoldSplits.kFold(ids: (0..<7).map(String.init), folds: 3)
        try FoldSplits.write(folds, to: "\(dir)/splits_final.json")
        XCTAssertEqual(try FoldSplits.read("\(dir)/splits_final.json"), folds)
        let text = try String(contentsOfFile: "\(dir)/splits_final.json", encoding: .utf8)
        let raw = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: [String]]]
        XCTAssertEqual(raw?.count, 3)
        XCTAssertEqual(Set(raw?[0].keys.map { $0 } ?? []), ["train", "val"], "nnU-Net's keys")
        let known = Set((0..<7).map(String.init))
        XCTAssertNil(FoldSplits.problem(folds, known: known))
        XCTAssertEqual(FoldSplits.problem(folds, known: known.subtracting(["3"])), "fold \(folds.firstIndex { $0.train.contains("3") || $0.val.contains("3") }!) names case 3, which the data does not hold")
        var twice = folds
        let moved = twice[0].val[0]
        twice[1].val.append(moved)
        twice[1].train.removeAll { $0 == moved }
        XCTAssertEqual(FoldSplits.problem(twice, known: known), "case \(folds[0].val[0]) is validated by fold 0 and fold 1; each case must be out of fold once")
        XCTAssertEqual(FoldSplits.problem([folds[0]], known: known), "lists 1 fold; a cross-validation needs at least 2")
        var repeated = folds
        repeated[2].val.append(repeated[2].val[0])
        XCTAssertEqual(FoldSplits.problem(repeated, known: known), "fold 2 lists validation case \(folds[2].val[0]) twice")
        var overlap = folds
        overlap[0].train.append(overlap[0].val[0])
        XCTAssertEqual(FoldSplits.problem(overlap, known: known), "fold 0 both trains and validates on case \(folds[0].val[0])")
        XCTAssertThrowsError(try FoldSplits.read("\(dir)/missing.json"))
    }
}
