import Foundation
import LiTSCore

/// Anatomical planes of a canonical (RAS+) volume.
public enum Plane: String, Sendable, CaseIterable, Codable {
    case axial, coronal, sagittal
}

/// A 2D slice laid out for display, in the radiological convention every CT viewer uses:
/// axial and coronal views show the patient's right on the image's left; anterior is up in axial
/// views, superior is up in coronal and sagittal views, anterior is left in sagittal views.
public struct SliceView<T>: Sendable where T: Sendable {
    public let values: [T]     // row-major, top row first
    public let width: Int
    public let height: Int
    /// Size of one pixel in mm along x (columns) and y (rows).
    public let pixelSpacing: (x: Double, y: Double)

    /// Requires a canonical volume (see `Reorientation`): +i right, +j anterior, +k superior.
    public init(_ v: Volume<T>, plane: Plane, index: Int) {
        let (nx, ny, nz) = (v.shape[0], v.shape[1], v.shape[2])
        let sp = v.grid.spacing
        var out: [T] = []
        switch plane {
        case .axial:
            precondition((0..<nz).contains(index), "axial slice \(index) outside 0..<\(nz)")
            out.reserveCapacity(nx * ny)
            for y in 0..<ny { let j = ny - 1 - y; for x in 0..<nx { out.append(v[nx - 1 - x, j, index]) } }
            (width, height, pixelSpacing) = (nx, ny, (sp[0], sp[1]))
        case .coronal:
            precondition((0..<ny).contains(index), "coronal slice \(index) outside 0..<\(ny)")
            out.reserveCapacity(nx * nz)
            for y in 0..<nz { let k = nz - 1 - y; for x in 0..<nx { out.append(v[nx - 1 - x, index, k]) } }
            (width, height, pixelSpacing) = (nx, nz, (sp[0], sp[2]))
        case .sagittal:
            precondition((0..<nx).contains(index), "sagittal slice \(index) outside 0..<\(nx)")
            out.reserveCapacity(ny * nz)
            for y in 0..<nz { let k = nz - 1 - y; for x in 0..<ny { out.append(v[index, ny - 1 - x, k]) } }
            (width, height, pixelSpacing) = (ny, nz, (sp[1], sp[2]))
        }
        values = out
    }

    /// Display size with square pixels: the finer spacing is kept, the coarser axis is stretched,
    /// and small images are enlarged to at least `minSide` pixels.
    public func displaySize(minSide: Int = 256) -> (width: Int, height: Int) {
        let unit = min(pixelSpacing.x, pixelSpacing.y)
        var w = Double(width) * pixelSpacing.x / unit
        var h = Double(height) * pixelSpacing.y / unit
        let scale = max(1, Double(minSide) / min(w, h))
        w *= scale
        h *= scale
        return (max(1, Int(w.rounded())), max(1, Int(h.rounded())))
    }
}

extension SliceView where T == Float {
    /// Grey values through a window: low -> black, high -> white.
    public func gray(low: Float, high: Float) -> RGBImage {
        let scale = 255 / (high - low)
        let g = values.map { v -> UInt8 in UInt8(max(0, min(255, ((v - low) * scale).rounded()))) }
        return RGBImage(gray: g, width: width, height: height)
    }
}
