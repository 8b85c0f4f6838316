import Foundation
import XCTest
import LiTSCore
@testable import LiTSDICOM

/// Fixture series written by scripts/make_dicom_fixtures.py (pydicom), read through GDCM, compared
/// with the generating array and affine (checked there against nibabel's DICOM reader).
final class DICOMSeriesTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/dicom").path

    struct Expected: Decodable {
        var shape: [Int]
        var affine: [[Double]]
        var hu: [Double]
        var labels: [Int]?
    }

    static func expected(_ name: String) throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/expected-\(name).json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    func assertReadsAsExpected(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let want = try Self.expected(name)
        let series = try DICOMSeries(folder: "\(Self.fixtures)/\(name)")
        XCTAssertEqual(series.grid.shape, want.shape, file: file, line: line)
        for r in 0..<4 {
            for c in 0..<4 {
                XCTAssertEqual(series.grid.affine[r, c], want.affine[r][c], accuracy: 1e-4, "affine[\(r), \(c)]", file: file, line: line)
            }
        }
        XCTAssertEqual(series.hounsfield().voxels.map(Double.init), want.hu, file: file, line: line)
    }

    func testAxialSlicesInReversedFileOrderAreSortedAlongTheNormal() throws {
        try assertReadsAsExpected("axial_reversed")
    }

    func testObliqueShuffledUnsignedSeriesWithSlope() throws {
        try assertReadsAsExpected("oblique")
    }

    func testRLELosslessSeriesIsDecoded() throws {
        try assertReadsAsExpected("rle")
    }

    func testSpacingIsTheAffinesColumnNorms() throws {
        let grid = try DICOMSeries(folder: "\(Self.fixtures)/oblique").grid
        for (s, n) in zip(grid.spacing, grid.affine.columnNorms) { XCTAssertEqual(s, n, accuracy: 1e-6) }
        XCTAssertEqual(grid.spacing[0], 0.75, accuracy: 1e-6)
        XCTAssertEqual(grid.spacing[1], 0.8, accuracy: 1e-6)
        XCTAssertEqual(grid.spacing[2], 2.5, accuracy: 1e-5)
    }

    func assertRefused(_ name: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try DICOMSeries(folder: "\(Self.fixtures)/\(name)"), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(error is LiTSError, message, file: file, line: line)
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
            for f in fragments { XCTAssertTrue(message.contains(f), "\(message) lacks \(f)", file: file, line: line) }
        }
    }

    func testMissingSliceIsRefused() {
        assertRefused("gap", ["gap", "unevenly spaced", "5 mm between", "2.5 mm elsewhere"])
    }

    func testDuplicatedSliceIsRefused() {
        assertRefused("duplicate", ["duplicate", "duplicated slice", "IM0003", "IM0004"])
    }

    func testTwoSeriesInOneFolderAreRefusedNamingBothUIDs() throws {
        let uids = try ["IM0000", "BIM0000"].map { try DICOMSlice.read("\(Self.fixtures)/two_series/\($0)").seriesUID }
        XCTAssertNotEqual(uids[0], uids[1])
        assertRefused("two_series", ["two_series", "2 series in one folder", uids[0], uids[1]])
    }

    func testUndecodableTransferSyntaxIsRefusedNamingTheFile() {
        assertRefused("undecodable", ["undecodable/IM0000: transfer syntax 1.2.840.10008.1.2.4.201", "GDCM cannot decode"])
    }

    func testMaskSeriesOnAnotherGridIsRefused() throws {
        let ct = try DICOMSeries(folder: "\(Self.fixtures)/axial_reversed")
        let mask = try DICOMSeries(folder: "\(Self.fixtures)/mask_shifted")
        XCTAssertThrowsError(try DICOMImport.checkSameGrid(mask, as: ct)) { error in
            XCTAssertTrue("\(error)".contains("mask_shifted: mask series on another grid"), "\(error)")
        }
        XCTAssertNoThrow(try DICOMImport.checkSameGrid(try DICOMSeries(folder: "\(Self.fixtures)/mask_liver"), as: ct))
    }

    func testNotADICOMFileIsRefusedNamingIt() throws {
        let dir = NSTemporaryDirectory() + "litskit-dicom-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for f in ["IM0000", "IM0001"] {
            try FileManager.default.copyItem(atPath: "\(Self.fixtures)/axial_reversed/\(f)", toPath: "\(dir)/\(f)")
        }
        try Data("notes".utf8).write(to: URL(fileURLWithPath: "\(dir)/README.txt"))
        XCTAssertThrowsError(try DICOMSeries(folder: dir)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(dir)/README.txt: "), "\(error)")
        }
    }
}
