import Foundation
import XCTest

/// Every typed option rejects bad text before anything runs (exit 64, the option named), and
/// accepts what it documents.
final class TypedArgumentsTests: XCTestCase {
    func testBadValuesAreRefusedWithTheOptionNamed() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: "\(dir)/data", id: 1)
        let cases: [(args: [String], option: String)] = [
            (["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--window", "400,-100"], "--window"),
            (["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--window", "abc"], "--window"),
            (["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--size", "0"], "--size"),
            (["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--size", "168x"], "--size"),
            (["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--interpolation", "nearest"], "--interpolation"),
            (["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--clahe-kernel", "0x8"], "--clahe-kernel"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--patch", "0,16,16"], "--patch"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--patch", "16,16"], "--patch"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--filters", "16"], "--filters"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--loss", "l2"], "--loss"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--sampling", "random"], "--sampling"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--augment", "strong"], "--augment"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--aug", "twist=0.1"], "--aug"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--aug", "noise=2"], "--aug"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--aug", "mirror=0.5:0,1"], "--aug"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--aug", "rotation=0.2:30,-30"], "--aug"),
            (["train", "\(dir)/data", "--out", "\(dir)/r", "--aug", "low-resolution=0.2:0.5,2"], "--aug"),
            (["predict", "--run", "\(dir)/r", "\(dir)/data", "--out", "\(dir)/o", "--checkpoint", "first"], "--checkpoint"),
            (["predict", "--run", "\(dir)/r", "\(dir)/data", "--out", "\(dir)/o", "--blending", "max"], "--blending"),
            (["eda", "\(dir)/data", "--out", "\(dir)/e", "--connectivity", "7"], "--connectivity"),
            (["eda", "\(dir)/data", "--out", "\(dir)/e", "--shard", "3/2"], "--shard"),
            (["preview", "\(dir)/data", "--out", "\(dir)/v", "--slices", "4,-1"], "--slices"),
            (["preview", "\(dir)/data", "--out", "\(dir)/v", "--method", "gamma"], "--method"),
        ]
        for (args, option) in cases {
            let r = try runLits(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(option), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/p"), "nothing may be written for a refused option")
    }

    func testDocumentedFormsAreAccepted() throws {
        let dir = try makeTempDir(self)
        try writePhantomCase(dir: "\(dir)/data", id: 1)
        let r = try runLits(["preprocess", "\(dir)/data", "--out", "\(dir)/p", "--window", " -160 , 240 ", "--size", "32x24",
                             "--interpolation", "cubic", "--equalize", "volume-body"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let manifest = try String(contentsOfFile: "\(dir)/p/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"low\" : -160"), manifest)
        XCTAssertTrue(manifest.contains("\"equalize\" : \"volume-body\""), manifest)
    }
}
