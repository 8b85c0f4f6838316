import Foundation
import LiTSCore

/// An adult-sized abdominal phantom for the QA checks, on a RAS grid of 64x64x40 voxels of
/// 6 x 6 x 5 mm (384 x 384 x 200 mm): a body ellipse 330 mm wide and 240 mm deep (soft tissue
/// with a fat rim), a spine, lungs at the top, a 1.5 L liver on the patient's right (+i) with
/// HU 110 and texture, and a tumour sphere inside it. `variant` changes the anatomy so two
/// patients differ.
enum QAPhantom {
    static let shape = [64, 64, 40]
    static let spacing = [6.0, 6.0, 5.0]

    static func make(variant: Int = 0) -> (Volume<Float>, LabelMap) {
        let grid = Grid(shape: shape, spacing: spacing)
        var ct = Volume<Float>(grid: grid, repeating: -1000)
        var labels = LabelMap(grid: grid, repeating: 0)
        let v = Double(variant)
        let (cx, cy) = (31.5, 31.5 - 2 * v)
        let (bodyA, bodyB) = (165.0 - 25 * v, 120.0 + 10 * v)   // half width, half depth (mm)
        for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] {
            let x = (Double(i) - cx) * spacing[0], y = (Double(j) - cy) * spacing[1], z = Double(k) * spacing[2]
            let r = (x / bodyA) * (x / bodyA) + (y / bodyB) * (y / bodyB)
            guard r < 1 else { continue }
            // Texture: a deterministic pattern of +-12 HU.
            let texture = Float(12 * sin(Double(i) * 1.7 + Double(j) * 0.9 + Double(k) * 2.3 + v))
            var hu: Float = r > 0.8 ? -100 : 40 + texture
            // Spine: posterior midline, 30 mm across.
            let sx = x, sy = y + bodyB - 45
            if sx * sx + sy * sy < 15 * 15 { hu = 600 }
            // Lungs: the top 45 mm, left and right.
            if z > 155 - 10 * v, abs(x) > 30, abs(x) < bodyA - 25, abs(y) < bodyB - 30 { hu = -850 }
            // A kidney on the left for the second patient.
            if variant > 0, pow((x + 70) / 35, 2) + pow((y + 40) / 25, 2) + pow((z - 70) / 50, 2) < 1 { hu = 160 }
            ct[i, j, k] = hu
            // Liver: ellipsoid 80 x 60 x 75 mm (half axes) centred 70 mm to the right, 100 mm up.
            let lx = (x - 70 + 15 * v) / 80, ly = (y - 10) / 60, lz = (z - 100 + 10 * v) / 75
            if lx * lx + ly * ly + lz * lz < 1 {
                ct[i, j, k] = 110 + texture
                labels[i, j, k] = 1
                let tx = (x - 80) / 20, ty = (y - 10) / 20, tz = (z - 100) / 20
                if tx * tx + ty * ty + tz * tz < 1 { ct[i, j, k] = 60 + texture; labels[i, j, k] = 2 }
            }
        } } }
        return (ct, labels)
    }

    static func write(_ ct: Volume<Float>, _ labels: LabelMap?, dir: String, id: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try NIfTIWriter.write(ct.map { Int16($0) }, to: "\(dir)/volume-\(id).nii.gz")
        if let labels { try NIfTIWriter.write(labels, to: "\(dir)/segmentation-\(id).nii.gz") }
    }

    /// The volume with its array reversed along i (header unchanged) and slices `keep` only.
    static func flippedAndCropped<T>(_ v: Volume<T>, keep: Range<Int>, transpose: Bool = false) -> Volume<T> {
        let (nx, ny) = (v.shape[0], v.shape[1])
        let shape = transpose ? [ny, nx, keep.count] : [nx, ny, keep.count]
        let sp = transpose ? [v.grid.spacing[1], v.grid.spacing[0], v.grid.spacing[2]] : v.grid.spacing
        var out = Volume<T>(grid: Grid(shape: shape, spacing: sp), repeating: v.voxels[0])
        for (kk, k) in keep.enumerated() { for j in 0..<ny { for i in 0..<nx {
            let value = v[nx - 1 - i, j, k]
            if transpose { out[j, i, kk] = value } else { out[i, j, kk] = value }
        } } }
        return out
    }
}
