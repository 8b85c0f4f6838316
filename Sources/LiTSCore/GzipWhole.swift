import Foundation

/// Whole-file gzip through libdeflate: every member inflated in one call each, straight into
/// the caller's memory, and volumes compressed on all workers as independent gzip members.
/// Each function returns nil (or false) where libdeflate is missing or the input is anything but
/// a clean stream of exactly the expected size: the caller then takes zlib's streaming path,
/// which reports truncated and corrupt streams (and extra bytes) with its exact messages.
public enum GzipWhole {
    /// "libdeflate" or "zlib": what `.nii.gz` reading and writing use in this process.
    public static var backend: String { Libdeflate.shared == nil ? "zlib" : "libdeflate" }

    /// Uncompressed bytes of one member written by `compress` (fixed, so the output does not
    /// depend on the number of workers).
    public static let memberBytes = 4 << 20
    /// Level 1, nibabel's default: libdeflate's level 1 compresses this CT 3.4x faster than its
    /// level 6 for 3% more bytes (0.450 vs 0.435 of the input), still smaller than zlib's level 1.
    public static let level: Int32 = 1

    /// Inflates all members of the gzip file at `path` into `out`, which must receive exactly
    /// `count` bytes. False when they are not exactly `count` bytes (truncated, extra data), the
    /// stream is corrupt (libdeflate checks each member's CRC-32 and ISIZE), or libdeflate is
    /// missing. At 4 GiB and more ISIZE (the size mod 2^32) no longer pins the size down, and
    /// such files take zlib's streaming path.
    public static func inflate(path: String, into out: UnsafeMutableRawPointer, count: Int) -> Bool {
        guard let lib = Libdeflate.shared, count < 1 << 32 else { return false }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size >= 18 else { return false }
        let size = Int(info.st_size)
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), map != MAP_FAILED else { return false }
        defer { munmap(map, size) }
        let input = UnsafeRawPointer(map)
        // The last member's ISIZE: a single-member file of another size is not worth inflating.
        let isize = input.loadUnaligned(fromByteOffset: size - 4, as: UInt32.self).littleEndian
        guard let d = lib.allocDecompressor() else { return false }
        defer { lib.freeDecompressor(d) }
        var inPos = 0, outPos = 0, members = 0
        while inPos < size {
            var used = 0, produced = 0
            let rc = lib.gzipDecompressEx(d, input + inPos, size - inPos, out + outPos, count - outPos, &used, &produced)
            guard rc == Libdeflate.success, used > 0 else { return false }
            inPos += used
            outPos += produced
            members += 1
            if members == 1, inPos == size, Int(isize) != count & 0xFFFF_FFFF { return false }
        }
        return outPos == count
    }

    /// Writes `parts` (header, then voxels) to `path` as a gzip file: independent members of
    /// `memberBytes` each (the header its own member), compressed in parallel, written in order.
    /// False where libdeflate is missing; throws when the file cannot be written.
    static func compress(_ parts: [UnsafeRawBufferPointer], to path: String, finalPath: String,
                         memberBytes: Int = memberBytes) throws -> Bool {
        guard let lib = Libdeflate.shared else { return false }
        var pieces = [UnsafeRawBufferPointer]()
        for part in parts {
            var start = 0
            repeat {
                let n = min(memberBytes, part.count - start)
                pieces.append(UnsafeRawBufferPointer(rebasing: part[start..<start + n]))
                start += n
            } while start < part.count
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw LiTSError.writeFailed(finalPath, "cannot create file", errno: errno) }
        // Each worker compresses a member, waits for its turn, and writes it, so writing (about a
        // third of the time here: page-cache copies) overlaps the other workers' compression, and
        // only about one member per worker is held at once. concurrentPerform hands out indices in
        // increasing order to running threads, so the member before one's turn is always in hand.
        let turn = NSCondition()
        var nextToWrite = 0
        var failed = false
        var failure: Int32 = 0  // errno of the failed write; -1: libdeflate could not compress
        Parallel.perform(iterations: pieces.count) { i in
            var compressed: UnsafeMutableRawBufferPointer?
            if let c = lib.allocCompressor(level) {
                let piece = pieces[i]
                let bound = lib.gzipCompressBound(c, piece.count)
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bound, alignment: 16)
                let written = lib.gzipCompress(c, piece.baseAddress, piece.count, buffer.baseAddress, bound)
                lib.freeCompressor(c)
                if written > 0 { compressed = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<written]) } else { buffer.deallocate() }
            }
            turn.lock()
            while nextToWrite != i { turn.wait() }
            let skip = failed
            turn.unlock()
            let code = skip ? 0 : compressed.map { AtomicFile.writeAll(fd, UnsafeRawBufferPointer($0)) } ?? -1
            compressed.map { UnsafeMutableRawPointer($0.baseAddress!).deallocate() }
            turn.lock()
            if skip || code != 0 { failed = true }
            if failure == 0 { failure = code }
            nextToWrite += 1
            turn.broadcast()
            turn.unlock()
        }
        let closed = close(fd), closeErrno = errno
        if failure == -1 { throw LiTSError(.notWritable, path: finalPath, "libdeflate could not compress the data") }
        guard !failed, closed == 0 else {
            throw LiTSError.writeFailed(finalPath, "cannot write file", errno: failed ? failure : closeErrno)
        }
        return true
    }
}
