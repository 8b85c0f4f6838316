import Foundation

/// libdeflate (Debian's `libdeflate0`), loaded at run time with `dlopen`.
///
/// Why not a `.systemLibrary` target: SwiftPM cannot make one optional, so linking it would make
/// libdeflate a build requirement everywhere and leave no zlib fallback. Loading `libdeflate.so.0`
/// at run time keeps the package building and working with zlib alone (libnifti's znz layer),
/// and makes gzip 2-3x faster wherever the library is installed. Measured against ISA-L's
/// inflate on the LiTS-sized volume, the two were equal within noise (0.55-0.59 s vs 0.56-0.68 s,
/// zlib 1.27-1.35 s); libdeflate also compresses at zlib's levels 1-9, which ISA-L does not.
///
/// `LITSKIT_GZIP=zlib` in the environment disables it (to compare, or to rule it out).
struct Libdeflate: @unchecked Sendable {
    typealias Alloc = @convention(c) (Int32) -> OpaquePointer?
    typealias AllocDecompressor = @convention(c) () -> OpaquePointer?
    typealias Free = @convention(c) (OpaquePointer?) -> Void
    /// (decompressor, in, in_nbytes, out, out_nbytes_avail, actual_in_nbytes_ret, actual_out_nbytes_ret)
    typealias GzipDecompressEx = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int,
                                                 UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int>?) -> Int32
    typealias GzipCompress = @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int) -> Int
    typealias CompressBound = @convention(c) (OpaquePointer?, Int) -> Int

    let allocDecompressor: AllocDecompressor
    let freeDecompressor: Free
    let gzipDecompressEx: GzipDecompressEx
    let allocCompressor: Alloc
    let freeCompressor: Free
    let gzipCompress: GzipCompress
    let gzipCompressBound: CompressBound

    /// libdeflate's result codes.
    static let success: Int32 = 0, badData: Int32 = 1, shortOutput: Int32 = 2, insufficientSpace: Int32 = 3

    /// nil where the library is missing or disabled.
    static let shared: Libdeflate? = {
        if ProcessInfo.processInfo.environment["LITSKIT_GZIP"] == "zlib" { return nil }
        guard let handle = dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ name: String, _ type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let a = symbol("libdeflate_alloc_decompressor", AllocDecompressor.self),
              let b = symbol("libdeflate_free_decompressor", Free.self),
              let c = symbol("libdeflate_gzip_decompress_ex", GzipDecompressEx.self),
              let d = symbol("libdeflate_alloc_compressor", Alloc.self),
              let e = symbol("libdeflate_free_compressor", Free.self),
              let f = symbol("libdeflate_gzip_compress", GzipCompress.self),
              let g = symbol("libdeflate_gzip_compress_bound", CompressBound.self) else { return nil }
        return Libdeflate(allocDecompressor: a, freeDecompressor: b, gzipDecompressEx: c, allocCompressor: d,
                          freeCompressor: e, gzipCompress: f, gzipCompressBound: g)
    }()
}
