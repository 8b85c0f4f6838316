import Foundation
import LiTSCore

/// A folder holding one DICOM series of single-frame slices, stacked into a 3D grid: slices sorted by
/// their position along the slice normal, and the affine from Image Position and Orientation
/// (Patient) converted from DICOM's LPS to NIfTI's RAS (x and y negated), as dcm2niix and
/// SimpleITK do. Voxel (i, j, k) is column i, row j of the k-th slice along the normal.
public struct DICOMSeries {
    public let folder: String
    public let seriesUID: String
    public let grid: Grid
    /// Sorted along the normal.
    let slices: [DICOMSlice]

    /// Relative tolerance on the distance between neighbouring slices (missing or duplicated slices).
    static let spacingTolerance = 0.01
    /// Tolerance on the cosines every slice must share with the first.
    static let orientationTolerance = 1e-4

    public init(folder: String) throws {
        self.folder = folder
        let files = try Self.sliceFiles(in: folder)
        let read = try files.map(DICOMSlice.read)
        seriesUID = try Self.oneSeries(read, folder: folder)
        try Self.checkSameFrame(read)
        let normal = cross(read[0].rowCosines, read[0].columnCosines)
        slices = read.sorted { dot($0.position, normal) < dot($1.position, normal) }
        try Self.checkSpacing(slices, normal: normal, folder: folder)
        grid = Self.grid(slices)
    }

    /// Hounsfield units: the stored values through each slice's rescale slope and intercept.
    public func hounsfield() -> Volume<Float> {
        var voxels: [Float] = []
        voxels.reserveCapacity(grid.count)
        for s in slices {
            voxels += s.pixels.map { Float(Double($0) * s.slope + s.intercept) }
        }
        return Volume(grid: grid, voxels: voxels)
    }

    /// A mask series: any non-zero stored value is inside.
    public func mask() -> Volume<Bool> {
        Volume(grid: grid, voxels: slices.flatMap { $0.pixels.map { $0 != 0 } })
    }

    /// The regular files of the folder, in name order (hidden files and a DICOMDIR index left out).
    static func sliceFiles(in folder: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) else {
            throw LiTSError(.notFound, path: folder, "no such folder")
        }
        guard isDir.boolValue else { throw LiTSError(.invalidArgument, path: folder, "not a folder (give the folder of a DICOM series)") }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw LiTSError(.unreadable, path: folder, "cannot list the folder")
        }
        var files: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") && name.uppercased() != "DICOMDIR" {
            let path = (folder as NSString).appendingPathComponent(name)
            let type = (try? FileManager.default.attributesOfItem(atPath: path)[.type]) as? FileAttributeType
            if type == .typeDirectory { continue }
            // A FIFO or device would block or never end; only plain files (or links to them) are read.
            guard type == .typeRegular || (type == .typeSymbolicLink && isRegularTarget(path)) else {
                throw LiTSError(.unsupported, path: path, "not a regular file")
            }
            files.append(path)
        }
        guard files.count >= 2 else {
            throw LiTSError(.noCases, path: folder, files.isEmpty ? "no DICOM files in the folder"
                            : "only one DICOM file; a series needs at least 2 slices")
        }
        return files
    }

    private static func isRegularTarget(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// The one Series Instance UID of the folder; several are refused, naming each.
    static func oneSeries(_ slices: [DICOMSlice], folder: String) throws -> String {
        var counts: [String: Int] = [:]
        for s in slices { counts[s.seriesUID, default: 0] += 1 }
        guard counts.count == 1 else {
            let list = counts.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "(no UID)" : $0.key) (\($0.value) files)" }
            throw LiTSError(.invalidValues, path: folder,
                            "\(counts.count) series in one folder: \(list.joined(separator: " and ")); give each series its own folder")
        }
        return slices[0].seriesUID
    }

    /// Every slice must share the first one's size, pixel spacing and orientation.
    static func checkSameFrame(_ slices: [DICOMSlice]) throws {
        let first = slices[0]
        let r = first.rowCosines, c = first.columnCosines
        guard abs(norm(r) - 1) < 1e-3, abs(norm(c) - 1) < 1e-3, abs(dot(r, c)) < 1e-3 else {
            throw LiTSError(.invalidValues, path: first.path, "Image Orientation (Patient) \(first.orientation) is not two perpendicular unit vectors")
        }
        for s in slices.dropFirst() {
            guard s.rows == first.rows, s.columns == first.columns else {
                throw LiTSError(.mismatch, path: s.path, "\(s.columns)x\(s.rows) pixels; \(first.path) has \(first.columns)x\(first.rows)")
            }
            guard zip(s.orientation, first.orientation).allSatisfy({ abs($0 - $1) <= orientationTolerance }) else {
                throw LiTSError(.mismatch, path: s.path, "Image Orientation (Patient) \(s.orientation) differs from \(first.path)'s \(first.orientation)")
            }
            guard zip(s.pixelSpacing, first.pixelSpacing).allSatisfy({ abs($0 - $1) <= 1e-4 * max(1, abs($1)) }) else {
                throw LiTSError(.mismatch, path: s.path, "Pixel Spacing \(s.pixelSpacing) differs from \(first.path)'s \(first.pixelSpacing)")
            }
        }
    }

    /// The distance between neighbouring slices along the normal, which must be even within 1%:
    /// a gap means a missing slice, a zero step a duplicated one.
    static func checkSpacing(_ sorted: [DICOMSlice], normal: [Double], folder: String) throws {
        let d = sorted.map { dot($0.position, normal) }
        let steps = zip(d.dropFirst(), d).map { $0 - $1 }
        let median = steps.sorted()[steps.count / 2]
        for (n, step) in steps.enumerated() where abs(step - median) > spacingTolerance * median || median <= 0 {
            let a = sorted[n].path, b = sorted[n + 1].path
            if step <= spacingTolerance * max(median, 0) || median <= 0 {
                throw LiTSError(.invalidValues, path: folder,
                                "duplicated slice: \(a) and \(b) lie at the same position (\(fmt(d[n])) mm) along the slice normal")
            }
            throw LiTSError(.invalidValues, path: folder,
                            "slices unevenly spaced along the normal: \(fmt(step)) mm between \(a) and \(b), \(fmt(median)) mm elsewhere (a missing slice?)")
        }
    }

    /// The RAS grid of the sorted slices.
    static func grid(_ sorted: [DICOMSlice]) -> Grid {
        let first = sorted[0], last = sorted[sorted.count - 1]
        let n = Double(sorted.count - 1)
        let iAxis = first.rowCosines.map { $0 * first.pixelSpacing[1] }     // along a row: between columns
        let jAxis = first.columnCosines.map { $0 * first.pixelSpacing[0] }  // down a column: between rows
        let kAxis = (0..<3).map { (last.position[$0] - first.position[$0]) / n }
        let lpsToRAS = [-1.0, -1.0, 1.0]
        let rows = (0..<3).map { r in
            [iAxis[r], jAxis[r], kAxis[r], first.position[r]].map { $0 * lpsToRAS[r] }
        } + [[0, 0, 0, 1]]
        return Grid(shape: [first.columns, first.rows, sorted.count],
                    spacing: [first.pixelSpacing[1], first.pixelSpacing[0], norm(kAxis)],
                    affine: Affine(rows: rows))
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
func cross(_ a: [Double], _ b: [Double]) -> [Double] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}
private func fmt(_ x: Double) -> String { String(format: "%.4g", x) }
