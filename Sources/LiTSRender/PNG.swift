import CPNG
import Foundation
import LiTSCore

/// PNG encoding and decoding through libpng's simplified API (no setjmp/longjmp error handling,
/// which Swift cannot use). Files are written atomically.
public enum PNG {
    public static func write(_ image: RGBImage, to path: String) throws {
        let data = try encode(pixels: image.pixels, width: image.width, height: image.height, channels: 3, path: path)
        try AtomicFile.write(data, to: path)
    }

    public static func writeGray(_ pixels: [UInt8], width: Int, height: Int, to path: String) throws {
        let data = try encode(pixels: pixels, width: width, height: height, channels: 1, path: path)
        try AtomicFile.write(data, to: path)
    }

    static func encode(pixels: [UInt8], width: Int, height: Int, channels: Int, path: String) throws -> Data {
        precondition(pixels.count == width * height * channels, "pixel buffer does not match the image size")
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = channels == 3 ? 2 : 0  // PNG_FORMAT_RGB / PNG_FORMAT_GRAY (macros Swift cannot import)
        var size: png_alloc_size_t = 0
        let stride = png_int_32(width * channels)
        let sized = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard sized != 0, size > 0 else {
            throw LiTSError(.notWritable, path: path, "libpng cannot encode the image: \(message(&image))")
        }
        var data = Data(count: Int(size))
        let ok = data.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        png_image_free(&image)
        guard ok != 0 else { throw LiTSError(.notWritable, path: path, "libpng failed: \(message(&image))") }
        return data.prefix(Int(size))
    }

    /// Reads a PNG as 8-bit RGB (used by tests and to check what we wrote).
    public static func read(path: String) throws -> RGBImage {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw LiTSError(.corrupt, path: path, "not a readable PNG: \(message(&image))")
        }
        image.format = 2  // PNG_FORMAT_RGB
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, png_int_32(width * 3), nil) }
        guard ok != 0 else {
            png_image_free(&image)
            throw LiTSError(.corrupt, path: path, "cannot decode PNG: \(message(&image))")
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
