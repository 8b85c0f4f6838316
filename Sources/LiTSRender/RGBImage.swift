import Foundation

/// An 8-bit RGB raster, row-major, top row first.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "pixel buffer does not match the image size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: RGB = .black) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        if fill != .black { for y in 0..<height { for x in 0..<width { self[x, y] = fill } } }
    }

    /// A grey image from values in 0...255.
    public init(gray: [UInt8], width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](unsafeUninitializedCapacity: gray.count * 3) { out, n in
            for (i, g) in gray.enumerated() { out[3 * i] = g; out[3 * i + 1] = g; out[3 * i + 2] = g }
            n = gray.count * 3
        }
    }

    public subscript(x: Int, y: Int) -> RGB {
        get { let o = 3 * (x + width * y); return RGB(pixels[o], pixels[o + 1], pixels[o + 2]) }
        set { let o = 3 * (x + width * y); pixels[o] = newValue.r; pixels[o + 1] = newValue.g; pixels[o + 2] = newValue.b }
    }

    /// Copies `tile` with its top-left corner at (x, y), clipped to this image.
    public mutating func draw(_ tile: RGBImage, atX x0: Int, y y0: Int) {
        for y in 0..<tile.height where y0 + y >= 0 && y0 + y < height {
            for x in 0..<tile.width where x0 + x >= 0 && x0 + x < width {
                self[x0 + x, y0 + y] = tile[x, y]
            }
        }
    }

    /// Nearest-neighbour resize, used to give pixels their true aspect ratio from the spacing.
    public func resized(width w: Int, height h: Int) -> RGBImage {
        var out = RGBImage(width: w, height: h)
        for y in 0..<h {
            let sy = min(height - 1, Int((Double(y) + 0.5) * Double(height) / Double(h)))
            for x in 0..<w {
                let sx = min(width - 1, Int((Double(x) + 0.5) * Double(width) / Double(w)))
                out[x, y] = self[sx, sy]
            }
        }
        return out
    }
}

public struct RGB: Equatable, Hashable, Codable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    // Okabe-Ito colours (see `OkabeIto`), the same in the raster slices as in the montages.
    public static let liverGreen = OkabeIto.bluishGreen
    public static let tumorRed = OkabeIto.vermillion
    public static let falsePositive = OkabeIto.vermillion
    public static let falseNegative = OkabeIto.skyBlue
}
