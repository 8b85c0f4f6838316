import XCTest
@testable import LiTSCore

/// Corrupt `.npy` headers (issue 13 item 5) and JSON files (item 11): one-line errors naming the file.
final class HostileNPYTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTempDir(self) }

    func npy(_ dict: String, body: [UInt8] = [], version: UInt8 = 1, length: Int? = nil) throws -> String {
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        let n = length ?? dict.utf8.count
        bytes += version == 1 ? [UInt8(n & 0xff), UInt8((n >> 8) & 0xff)] : [UInt8(n & 0xff), UInt8((n >> 8) & 0xff), UInt8((n >> 16) & 0xff), UInt8(n >> 24)]
        bytes += Array(dict.utf8) + body
        let path = "\(dir)/a-\(UUID().uuidString).npy"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func expectError(_ kind: LiTSError.Kind, _ path: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try NPY.read(path: path), file: file, line: line) { error in
            guard let e = error as? LiTSError else { return XCTFail("not a LiTSError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssertTrue(e.description.contains(text), "\(e) should mention '\(text)'", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        }
    }

    let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n"

    func testValidHeaderStillReads() throws {
        let a = try NPY.read(path: try npy(good, body: [UInt8](repeating: 0, count: 24)))
        XCTAssertEqual(a.shape, [2, 3])
        XCTAssertEqual(a.floats(), [Float](repeating: 0, count: 6))
        // Format 2.0 and a one-byte type with another byte-order mark.
        let b = try NPY.read(path: try npy("{'descr': '<u1', 'fortran_order': False, 'shape': (4,)}", body: [1, 2, 3, 4], version: 2))
        XCTAssertEqual(b.dtype, .uint8)
        XCTAssertEqual(b.bytes(), [1, 2, 3, 4])
    }

    /// A shape whose product overflows trapped in `reduce(1, *)`.
    func testShapeThatOverflowsOrIsNegative() throws {
        expectError(.invalidHeader, try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }"), "too large (overflow)")
        expectError(.invalidHeader, try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -3), }", body: [UInt8](repeating: 0, count: 24)), "negative dimension")
        expectError(.invalidHeader, try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }"), "expected an integer")
    }

    func testBrokenHeaders() throws {
        expectError(.invalidHeader, try npy(good.replacingOccurrences(of: "}", with: "")), "invalid .npy header")
        expectError(.invalidHeader, try npy("{'descr': '<f4', 'shape': (2, 3), }"), "expected descr, fortran_order and shape")
        expectError(.invalidHeader, try npy(good.replacingOccurrences(of: "False", with: "0")), "unexpected value")
        expectError(.invalidHeader, try npy(good.replacingOccurrences(of: "(2, 3)", with: "[2, 3]")), "unexpected value")
        expectError(.invalidHeader, try npy(good.replacingOccurrences(of: "'<f4'", with: "True")), "descr is not a string")
        expectError(.invalidHeader, try npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}"), "appears twice")
        expectError(.invalidHeader, try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x\\ny': 1}"), "escapes in strings")
        expectError(.invalidHeader, try npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x\ny': 1}"), "unexpected value")
        expectError(.unsupported, try npy(good.replacingOccurrences(of: "<f4", with: ">f4")), "unsupported .npy dtype '>f4'")
        expectError(.unsupported, try npy(good.replacingOccurrences(of: "False", with: "True")), "Fortran-order")
        expectError(.unsupported, try npy(good, version: 7), "format version 7.0")
        expectError(.invalidHeader, try npy(good, version: 2, length: 0x7fff_ffff), "header length 2147483647 is implausible")
        expectError(.corrupt, try npy(good, length: 60_000), "truncated .npy header")
        expectError(.corrupt, try npy(good, body: [0, 0, 0]), "data has 3 bytes")
        let notNPY = "\(dir)/x.npy"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notNPY))
        expectError(.invalidHeader, notNPY, "missing \\x93NUMPY magic")
    }

    func testRequireFiniteNamesTheFileAndElement() throws {
        var values: [Float] = [1, 2, 3, 4, .nan, .infinity]
        let path = "\(dir)/volume.npy"
        try NPY.write(voxels: values, dtype: .float32, shape: [2, 3], to: path)
        let a = try NPY.read(path: path)
        XCTAssertThrowsError(try a.requireFinite(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): 2 NaN or infinite values (first at index [1, 1])")
            XCTAssertEqual((error as? LiTSError)?.kind, .invalidValues)
        }
        values[4] = 5; values[5] = 6
        try NPY.write(voxels: values, dtype: .float32, shape: [2, 3], to: path)
        XCTAssertNoThrow(try NPY.read(path: path).requireFinite(path: path))
    }
}

final class JSONFileTests: XCTestCase {
    struct Record: Codable, Equatable {
        var epoch: Int
        var loss: Double
    }
    struct State: Codable, Equatable {
        var history: [Record]
        var name: String
    }

    var dir = ""
    override func setUpWithError() throws { dir = try makeTempDir(self) }

    func file(_ text: String) throws -> String {
        let path = "\(dir)/state-\(UUID().uuidString).json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func message(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try JSONFile.read(State.self, from: path)
            XCTFail("no error", file: file, line: line)
            return ""
        } catch let e as LiTSError {
            XCTAssertEqual(e.path, path, file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), "one line: \(e)", file: file, line: line)
            return e.reason
        } catch {
            XCTFail("not a LiTSError: \(error)", file: file, line: line)
            return ""
        }
    }

    func testEveryDecodingFailureIsOneLineNamingTheFile() throws {
        XCTAssertEqual(message(try file(#"{"history": [{"loss": 1}], "name": "x"}"#)), "missing key 'history[0].epoch'")
        XCTAssertEqual(message(try file(#"{"history": [{"epoch": "one", "loss": 1}], "name": "x"}"#)), "wrong type at 'history[0].epoch': expected an integer")
        XCTAssertEqual(message(try file(#"{"history": [], "name": null}"#)), "null or missing value at 'name': expected a string")
        XCTAssertEqual(message(try file(#"{"history": {}, "name": "x"}"#)), "wrong type at 'history': expected an array")
        XCTAssertEqual(message(try file(#"[1, 2]"#)), "wrong type at the top level: expected an object")
        XCTAssertTrue(message(try file(#"{"history": [, "name": "x"}"#)).hasPrefix("not valid JSON ("))
        XCTAssertTrue(message(try file("")).hasPrefix("not valid JSON ("))
        XCTAssertThrowsError(try JSONFile.read(State.self, from: "\(dir)/none.json")) { error in
            XCTAssertEqual("\(error)", "\(dir)/none.json: no such file")
            XCTAssertEqual((error as? LiTSError)?.kind, .notFound)
        }
        let ok = try file(#"{"history": [{"epoch": 1, "loss": 0.5}], "name": "x"}"#)
        XCTAssertEqual(try JSONFile.read(State.self, from: ok), State(history: [Record(epoch: 1, loss: 0.5)], name: "x"))
    }

    func testWriteNamesTheNaNsKeyPath() throws {
        let path = "\(dir)/state.json"
        let bad = State(history: [Record(epoch: 1, loss: 0.5), Record(epoch: 2, loss: .nan)], name: "x")
        XCTAssertThrowsError(try JSONFile.write(bad, to: path)) { error in
            XCTAssertEqual("\(error)", "\(path): cannot write nan at 'history[1].loss': JSON has no NaN or infinity")
            XCTAssertEqual((error as? LiTSError)?.kind, .invalidValues)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        let good = State(history: [Record(epoch: 1, loss: 0.5)], name: "x")
        try JSONFile.write(good, to: path)
        XCTAssertEqual(try JSONFile.read(State.self, from: path), good)
    }
}

final class HostileMRCTests: XCTestCase {
    func testAxisOrderEndiannessAndExtraData() throws {
        let dir = try makeTempDir(self)
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("mrc/tiny_img.mrc"))))
        func variant(_ name: String, _ edit: (inout [UInt8]) -> Void) throws -> String {
            var b = data
            edit(&b)
            let path = "\(dir)/\(name).mrc"
            try Data(b).write(to: URL(fileURLWithPath: path))
            return path
        }
        let permuted = try variant("permuted") { $0[64] = 3; $0[72] = 1 }
        XCTAssertThrowsError(try MRC.read(path: permuted)) {
            XCTAssertEqual("\($0)", "\(permuted): MRC axis order mapc, mapr, maps = 3, 2, 1 is not supported (only 1, 2, 3)")
        }
        let big = try variant("big") { $0[212] = 0x11; $0[213] = 0x11 }
        XCTAssertThrowsError(try MRC.read(path: big)) { XCTAssertEqual(($0 as? LiTSError)?.kind, .unsupported) }
        let hugeDims = try variant("huge") { for o in [0, 4, 8] { $0[o] = 0x9f; $0[o + 1] = 0x86; $0[o + 2] = 0x01; $0[o + 3] = 0 } }  // 99999
        XCTAssertThrowsError(try MRC.read(path: hugeDims)) { XCTAssertEqual(($0 as? LiTSError)?.kind, .corrupt) }

        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var lines = [String]()
            func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        }
        let sink = Lines()
        LiTSWarnings.handler = { sink.add($0) }
        defer { LiTSWarnings.handler = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) } }
        let longer = try variant("longer") { $0 += [0, 0, 0, 0] }
        XCTAssertEqual(try MRC.read(path: longer).voxels, try MRC.read(path: fixturePath("mrc/tiny_img.mrc")).voxels)
        XCTAssertEqual(sink.lines, ["\(longer): holds 4 extra bytes after the 5x4x3 voxels of mode 2 its header describes (a sign of a broken writer); they are ignored"])
    }
}
