import Foundation

/// A case in memory, reoriented to the closest canonical orientation (RAS+, k inferior to superior),
/// with what is needed to map results back onto the file's own grid.
public struct LoadedCase: Sendable {
    public var info: Case
    /// CT in HU, canonical orientation.
    public var ct: Volume<Float>
    /// Labels 0/1/2 on the same canonical grid, or nil for test cases.
    public var labels: LabelMap?
    /// The CT file's header and grid as stored.
    public var source: NIfTISource
    public var reorientation: Reorientation

    public var grid: Grid { ct.grid }

    public init(info: Case, ct: Volume<Float>, labels: LabelMap?, source: NIfTISource, reorientation: Reorientation) {
        self.info = info
        self.ct = ct
        self.labels = labels
        self.source = source
        self.reorientation = reorientation
    }
}

public enum CaseLoader {
    /// Loads and checks a case: finite HU values, a segmentation on the volume's grid,
    /// labels in {0, 1, 2}. Every failure names the offending file.
    public static func load(_ c: Case, withLabels: Bool = true) throws -> LoadedCase {
        let (rawCT, source) = try NIfTIReader.readFloat(path: c.volumePath)
        if source.header.isFloatingPoint || source.header.scaling != nil {  // integers are always finite
            try checkFiniteCT(rawCT, path: c.volumePath)
        }
        let reorientation = Reorientation(sourceGrid: rawCT.grid)
        let ct = reorientation.toCanonical(rawCT)
        var labels: LabelMap?
        if withLabels, let segPath = c.segmentationPath {
            let segSource = try NIfTIReader.readSource(path: segPath)
            try checkSameGrid(segSource.grid, volume: source.grid, segPath: segPath, volumePath: c.volumePath)
            labels = reorientation.toCanonical(try readLabels(c, source: segSource))
        }
        return LoadedCase(info: c, ct: ct, labels: labels, source: source, reorientation: reorientation)
    }

    /// A case's labels as 0/1/2 on its label file's own grid: the label map through the case's
    /// mapping (its dataset's description or `--labels`), then its tumour masks (voxels set in
    /// a binary mask on the same grid become 2). Every command reads labels through here.
    /// `source`: the label file's header, when already read.
    public static func readLabels(_ c: Case, source known: NIfTISource? = nil) throws -> LabelMap {
        guard let segPath = c.segmentationPath else {
            throw LiTSError(.notFound, path: c.volumePath, "case \(c.id) has no segmentation")
        }
        let source = try known ?? NIfTIReader.readSource(path: segPath)
        var labels: LabelMap
        if let mapping = c.labelMapping, mapping != .identity {
            labels = try mapping.apply(try NIfTIReader.readFloat(path: segPath).0, path: segPath)
        } else {
            labels = try NIfTIReader.readLabels(path: segPath, source: source).0
        }
        for maskPath in c.tumorMaskPaths {
            let maskSource = try NIfTIReader.readSource(path: maskPath)
            try checkSameGrid(maskSource.grid, volume: source.grid, segPath: maskPath, volumePath: segPath)
            let mask = try NIfTIReader.readLabels(path: maskPath, allowed: [0, 1], source: maskSource).0
            for n in 0..<mask.count where mask.voxels[n] == 1 { labels.voxels[n] = 2 }
        }
        return labels
    }

    /// A prediction file's labels as 0/1/2: through `evaluate --pred-labels` where given.
    public static func readPrediction(path: String) throws -> LabelMap {
        if let mapping = CommandLineLabels.predictions, mapping != .identity {
            return try mapping.apply(try NIfTIReader.readFloat(path: path).0, path: path)
        }
        return try NIfTIReader.readLabels(path: path).0
    }

    public static func checkFiniteCT(_ v: Volume<Float>, path: String) throws {
        var bad = 0
        var first = -1
        v.voxels.withUnsafeBufferPointer { p in
            for n in 0..<p.count where !p[n].isFinite {
                if first < 0 { first = n }
                bad += 1
            }
        }
        if bad > 0 {
            let nx = v.shape[0], ny = v.shape[1]
            let (i, j, k) = (first % nx, (first / nx) % ny, first / (nx * ny))
            throw LiTSError(.invalidValues, path: path, "\(bad) NaN or infinite CT values (first at voxel \(i),\(j),\(k))")
        }
    }

    /// A segmentation must sit on its volume's grid: same shape, and the same affine within a
    /// tolerance (direction and spacing entries to 1e-3 relative, the origin to 1e-3 of a voxel
    /// side): a label map 50 mm away, or flipped, is another grid even with the same shape.
    public static func checkSameGrid(_ seg: Grid, volume: Grid, segPath: String, volumePath: String) throws {
        let name = URL(fileURLWithPath: volumePath).lastPathComponent
        guard seg.shape == volume.shape else {
            throw LiTSError(.mismatch, path: segPath, "grid \(seg.shape.map(String.init).joined(separator: "x")) does not match its volume \(name) (\(volume.shape.map(String.init).joined(separator: "x")))")
        }
        let spacingOK = zip(seg.spacing, volume.spacing).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, $1) }
        guard spacingOK, seg.axisCodes == volume.axisCodes else {
            throw LiTSError(.mismatch, path: segPath, "spacing \(seg.spacing) / orientation \(seg.axisCodes) does not match its volume \(name) (\(volume.spacing) / \(volume.axisCodes))")
        }
        if let problem = affineMismatch(seg.affine, volume.affine, spacing: volume.spacing) {
            throw LiTSError(.mismatch, path: segPath, "affine \(format(seg.affine)) does not match its volume \(name)'s \(format(volume.affine)) (\(problem))")
        }
    }

    /// Nil when two affines describe the same grid within tolerance, else what differs.
    public static func affineMismatch(_ a: Affine, _ b: Affine, spacing: [Double]) -> String? {
        for r in 0..<3 {
            for c in 0..<3 where abs(a[r, c] - b[r, c]) > 1e-3 * max(1, abs(b[r, c])) {
                return "direction or spacing differs"
            }
        }
        let shift = (0..<3).map { a[$0, 3] - b[$0, 3] }
        let distance = shift.map { $0 * $0 }.reduce(0, +).squareRoot()
        if distance > 1e-3 * (spacing.min() ?? 1) {
            return String(format: "origins %.3g mm apart", distance)
        }
        return nil
    }

    public static func format(_ a: Affine) -> String {
        "[" + (0..<3).map { r in "[" + (0..<4).map { String(format: "%g", a[r, $0]) }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
    }

    /// Converts label values to UInt8, refusing anything outside {0, 1, 2}.
    public static func toLabels(_ v: Volume<Float>, path: String, allowed: Set<UInt8> = [0, 1, 2]) throws -> LabelMap {
        // A lookup table instead of a Set lookup per voxel: this runs over every voxel of every case.
        var ok = [Bool](repeating: false, count: 256)
        for a in allowed { ok[Int(a)] = true }
        var out = [UInt8](repeating: 0, count: v.count)
        var bad = 0
        v.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                ok.withUnsafeBufferPointer { table in
                    for n in 0..<src.count {
                        let x = src[n]
                        if x >= 0, x <= 255, x == x.rounded(.down), table[Int(x)] {
                            dst[n] = UInt8(x)
                        } else {
                            bad += 1
                        }
                    }
                }
            }
        }
        if bad > 0 {
            // Rare path: count the offending values for the message.
            // NaN is counted apart (NaN != NaN: as a key each would be a new entry).
            var badValues: [Float: Int] = [:]
            var nans = 0
            for x in v.voxels where !(x >= 0 && x <= 255 && x == x.rounded(.down) && ok[Int(x)]) {
                if x.isNaN { nans += 1 } else { badValues[x, default: 0] += 1 }
            }
            // Whole numbers print without ".0"; inf and numbers beyond Int would trap in Int(x).
            func text(_ x: Float) -> String { x.isFinite && x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
            let counted = (nans > 0 ? [("nan", nans)] : []) + badValues.map { (text($0.key), $0.value) }
            let shown = counted.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(4).map { "\($0.0) (\($0.1) voxels)" }
            throw LiTSError(.invalidValues, path: path, "labels outside {\(allowed.sorted().map(String.init).joined(separator: ", "))}: \(shown.joined(separator: ", "))\(allowed == [0, 1, 2] ? " (map other values with --labels)" : "")")
        }
        return Volume(grid: v.grid, voxels: out)
    }
}
