import CGDCM
import Foundation
import LiTSCore

/// One DICOM file as GDCM read it: stored pixel values (row after row) and the attributes that
/// place them in the patient (LPS, mm).
struct DICOMSlice {
    var path: String
    var rows: Int
    var columns: Int
    var slope: Double
    var intercept: Double
    /// Image Position (Patient): the centre of the first pixel.
    var position: [Double]
    /// Image Orientation (Patient): the row direction's cosines, then the column direction's.
    var orientation: [Double]
    /// Pixel Spacing: between rows, then between columns.
    var pixelSpacing: [Double]
    var seriesUID: String
    var pixels: [Int32]

    var rowCosines: [Double] { Array(orientation[0..<3]) }
    var columnCosines: [Double] { Array(orientation[3..<6]) }

    static func read(_ path: String) throws -> DICOMSlice {
        var s = cgdcm_slice()
        var error = [CChar](repeating: 0, count: 512)
        guard cgdcm_read(path, &s, &error, error.count) == 0 else {
            throw LiTSError(.unreadable, path: path, String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { cgdcm_free(&s) }
        let count = Int(s.rows) * Int(s.columns)
        return DICOMSlice(
            path: path, rows: Int(s.rows), columns: Int(s.columns), slope: s.slope, intercept: s.intercept,
            position: array(s.position), orientation: array(s.orientation), pixelSpacing: array(s.pixelSpacing),
            seriesUID: string(s.seriesUID), pixels: Array(UnsafeBufferPointer(start: s.pixels, count: count)))
    }
}

/// A C array member (imported as a tuple) as a Swift array.
private func array<T>(_ tuple: T) -> [Double] {
    withUnsafeBytes(of: tuple) { Array($0.bindMemory(to: Double.self)) }
}

/// A NUL-terminated C char array member as a String.
private func string<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
