import Foundation
import XCTest

/// `lits train --recipe`: what each recipe sets, the options given over it, and what the run's
/// config.json and index.md say about both.
final class RecipeTests: XCTestCase {
    static let small = ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "1",
                        "--epochs", "1", "--batches-per-epoch", "1"]

    func config(_ run: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any])
    }

    func testBaselineRecipeIsTheKerasBaselineAndRecordsTheOverrides() throws {
        let work = try makeTempDir(self), data = work + "/data"
        for id in 1...2 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 12]) }
        var r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", work + "/pre", "--out", work + "/run", "--recipe", "baseline"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let c = try config(work + "/run")
        let recipe = try XCTUnwrap(c["recipe"] as? [String: Any])
        XCTAssertEqual(recipe["name"] as? String, "baseline")
        XCTAssertEqual(recipe["overrides"] as? [String], ["--patch 16,16,8", "--filters 4,8", "--volumes-per-batch 1", "--patches-per-volume 1",
                                                          "--epochs 1", "--batches-per-epoch 1"])
        // What the baseline sets and nothing overrode: uniform slabs, plateau, lr 0.001, Jaccard, no augmentation.
        XCTAssertNotNil((c["sampling"] as? [String: Any])?["uniform"], "\(c["sampling"] ?? "-")")
        XCTAssertEqual(c["lrSchedule"] as? String, "plateau")
        XCTAssertEqual(c["learningRate"] as? Double ?? 0, 0.001, accuracy: 1e-9)
        XCTAssertEqual(c["loss"] as? String, "jaccard")
        let augmentation = try XCTUnwrap(c["augmentation"] as? [String: Any])
        for name in ["rotation", "scaling", "mirror", "brightness", "gamma"] {
            XCTAssertEqual((augmentation[name] as? [String: Any])?["probability"] as? Double, 0, name)
        }
        // The overridden ones are the given values.
        XCTAssertEqual((c["model"] as? [String: Any])?["filters"] as? [Int], [4, 8])
        XCTAssertEqual(r.stderr.components(separatedBy: "\n").filter { $0.hasPrefix("lits: note: recipe baseline; split: train ") }.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("lits: note: \(work)/pre is preprocessed: the QA gate checks raw cases only"), r.stderr)
        let page = try String(contentsOfFile: work + "/run/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("Recipe **baseline**"), page)
        XCTAssertTrue(page.contains("filters 64,128,256,256"), page)
        XCTAssertTrue(page.contains("`--filters 4,8`"), page)
    }

    /// The default recipe (no --recipe) on raw data: the fingerprint's spacing (the median of the
    /// cases' spacings), body crop, region-balanced sampling, poly, contrast-phase brightness; an
    /// option given wins. Adult-sized phantoms, so the QA gate passes.
    func testDefaultRecipeTakesTheFingerprintSpacingAndGivenOptionsWin() throws {
        let work = try makeTempDir(self), data = work + "/data"
        let spacings: [[Double]] = [[9.5, 9.5, 10], [9, 9, 10], [10, 10, 12]]
        for (n, spacing) in spacings.enumerated() {   // shapes differ, so that QA sees no duplicate
            try writePhantomCase(dir: data, id: n + 1, shape: [40 + n, 32, 20], spacing: spacing)
        }
        let r = try runLits(["train", data, "--out", work + "/run", "--lr", "0.01"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let c = try config(work + "/run")
        let recipe = try XCTUnwrap(c["recipe"] as? [String: Any])
        XCTAssertEqual(recipe["name"] as? String, "default")
        XCTAssertTrue((recipe["overrides"] as? [String] ?? []).contains("--lr 0.01"))
        let pre = try XCTUnwrap(c["preprocessing"] as? [String: Any])
        XCTAssertEqual(pre["targetSpacing"] as? [Double], [9.5, 9.5, 10], "median spacing per axis")
        XCTAssertEqual(pre["cropToBody"] as? Bool, true)
        XCTAssertEqual((c["sampling"] as? [String: [String: Double]])?["region-balanced"], ["pLiver": 0.4, "pLesion": 0.3], "\(c["sampling"] ?? "-")")
        XCTAssertEqual(c["lrSchedule"] as? String, "poly")
        XCTAssertEqual(c["learningRate"] as? Double ?? 0, 0.01, accuracy: 1e-7, "the given --lr, not the recipe's 0.003")
        let brightness = try XCTUnwrap((c["augmentation"] as? [String: Any])?["brightness"] as? [String: Any])
        XCTAssertEqual(brightness["probability"] as? Double, 0.5)
        XCTAssertEqual((brightness["range"] as? [String: Any])?["low"] as? Double, 0.6)
        XCTAssertEqual((brightness["range"] as? [String: Any])?["high"] as? Double, 1.4)
        // Three cases: two train, one validates, no test set.
        let split = try XCTUnwrap(c["split"] as? [String: [String]])
        XCTAssertEqual(split["train"]?.count, 2)
        XCTAssertEqual(split["validation"]?.count, 1)
        XCTAssertEqual(split["test"], [])
        XCTAssertTrue(r.stderr.contains("lits: note: recipe default; split: train "), r.stderr)
        XCTAssertTrue(r.stderr.contains("; test -"), r.stderr)
        let page = try String(contentsOfFile: work + "/run/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("Recipe **default**"), page)
        XCTAssertTrue(page.contains("`--lr 0.01`"), page)
    }

    /// Four cases: no test set (one validates, three train), and the split is printed.
    func testFourCasesGiveNoTestSet() throws {
        let work = try makeTempDir(self), data = work + "/data"
        for id in 1...4 { try writePhantomCase(dir: data, id: id, shape: [32, 32, 12]) }
        var r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", work + "/pre", "--out", work + "/run", "--recipe", "baseline"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let split = try XCTUnwrap(try config(work + "/run")["split"] as? [String: [String]])
        XCTAssertEqual(split["train"]?.count, 3)
        XCTAssertEqual(split["validation"]?.count, 1)
        XCTAssertEqual(split["test"], [])
        XCTAssertEqual(Set((split["train"] ?? []) + (split["validation"] ?? [])), ["1", "2", "3", "4"])
    }
}
