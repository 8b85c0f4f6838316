import Foundation

/// Contours of masks drawn over an image.
public enum Overlay {
    /// Marks in `color` the pixels of `mask` (row-major, same size as the image) that have a
    /// 4-neighbour outside the mask or lie on the image edge: a one-pixel outline inside the region.
    public static func drawContour(on image: inout RGBImage, mask: [Bool], color: RGB) {
        precondition(mask.count == image.width * image.height, "mask does not match the image")
        let (w, h) = (image.width, image.height)
        for y in 0..<h {
            for x in 0..<w where mask[x + w * y] {
                let edge = x == 0 || y == 0 || x == w - 1 || y == h - 1
                    || !mask[x - 1 + w * y] || !mask[x + 1 + w * y] || !mask[x + w * (y - 1)] || !mask[x + w * (y + 1)]
                if edge { image[x, y] = color }
            }
        }
    }

    /// Paints every pixel of `mask` with `color` blended at `alpha`.
    public static func fill(on image: inout RGBImage, mask: [Bool], color: RGB, alpha: Double) {
        precondition(mask.count == image.width * image.height, "mask does not match the image")
        for y in 0..<image.height {
            for x in 0..<image.width where mask[x + image.width * y] {
                let p = image[x, y]
                func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - alpha) + Double(b) * alpha).rounded()) }
                image[x, y] = RGB(mix(p.r, color.r), mix(p.g, color.g), mix(p.b, color.b))
            }
        }
    }

    /// Nearest-neighbour resize of a mask, matching `RGBImage.resized`.
    public static func resize(_ mask: [Bool], width: Int, height: Int, toWidth w: Int, height h: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: w * h)
        for y in 0..<h {
            let sy = min(height - 1, Int((Double(y) + 0.5) * Double(height) / Double(h)))
            for x in 0..<w {
                let sx = min(width - 1, Int((Double(x) + 0.5) * Double(width) / Double(w)))
                out[x + w * y] = mask[sx + width * sy]
            }
        }
        return out
    }
}
