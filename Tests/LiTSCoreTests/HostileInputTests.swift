import XCTest
@testable import LiTSCore

/// Headers and files that lie (issue 13 items 3, 5, 7, 8, 11): every one must give a one-line
/// LiTSError naming the file, or be read with a warning; never a trap. Most were found or
/// confirmed by the fuzzers in Fuzz/.
final class HostileInputTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try makeTempDir(self)
        LiTSWarnings.handler = nil
    }

    override func tearDown() {
        LiTSWarnings.handler = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }
    }

    func write(_ name: String, format: NIfTIFormat = .nifti1) throws -> String {
        let (ct, _) = phantom(shape: [8, 6, 4])
        let path = "\(dir)/\(name)"
        try NIfTIWriter.write(ct.map { Int16($0) }, to: path, format: format)
        return path
    }

    func f32(_ v: Float) -> [UInt8] { withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    func f64(_ v: Double) -> [UInt8] { withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    func i64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    func i16(_ v: Int16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    func gzip(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-kf", path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let gz = path.replacingOccurrences(of: ".nii", with: "") + ".nii.gz"
        if path + ".gz" != gz { try FileManager.default.moveItem(atPath: path + ".gz", toPath: gz) }
        return gz
    }

    // MARK: item 3, lying NIfTI headers

    /// vox_offset NaN, inf, 1e30 and negative trapped in the Float -> Int conversion (SIGILL).
    func testVoxOffsetThatIsNoOffset() throws {
        for bad: Float in [.nan, .infinity, -.infinity, 1e30, -352] {
            let v = try write("volume-1.nii")
            try patch(v, at: 108, f32(bad))
            expectError(.invalidHeader, path: v, containing: "vox_offset=") { _ = try NIfTIReader.readFloat(path: v) }
        }
    }

    /// A NIfTI-2 offset of 2^63-1 overflowed `offset + voxel bytes` (trap); negative ones too.
    func testNIfTI2OffsetsThatOverflow() throws {
        for bad: Int64 in [.max, .min, -1, 1 << 50] {
            let v = try write("volume-2.nii", format: .nifti2)
            try patch(v, at: 168, i64(bad))
            expectError(.invalidHeader, path: v, containing: "vox_offset=\(bad)") { _ = try NIfTIReader.readFloat(path: v) }
        }
        // Dimensions whose product overflows Int64.
        let v = try write("volume-3.nii", format: .nifti2)
        for d in 1...3 { try patch(v, at: 16 + 8 * d, i64(1 << 40)) }
        expectError(.invalidHeader, path: v, containing: "overflow") { _ = try NIfTIReader.readFloat(path: v) }
        try patch(v, at: 16 + 8, i64(-7))
        expectError(.invalidHeader, path: v, containing: "dimension 1 is -7") { _ = try NIfTIReader.readFloat(path: v) }
    }

    /// nibabel ignores bitpix (the datatype wins): read with a warning (issue 26; CoreReliabilityTests).
    func testBitpixThatContradictsTheDatatype() throws {
        let v = try write("volume-4.nii")
        try patch(v, at: 72, i16(32))  // int16 data, 32 bits per voxel
        XCTAssertEqual(try NIfTIReader.readFloat(path: v).1.warnings.count, 1)
    }

    func testNonFiniteSpacing() throws {
        for bad: Float in [.nan, .infinity] {
            let v = try write("volume-5.nii")
            try patch(v, at: 76 + 2 * 4, f32(bad))
            expectError(.invalidHeader, path: v, containing: "pixdim[2] is") { _ = try NIfTIReader.readFloat(path: v) }
        }
    }

    /// A NIfTI-2 spacing near the largest double (found by the niftigz fuzzer) made the pixdim
    /// affine overflow to inf: voxels above 1 km are refused, and a sform of such voxels or placed
    /// beyond 1000 km falls back to the next affine.
    func testSpacingAndSformBeyondAnyScan() throws {
        let v = try write("volume-15.nii", format: .nifti2)
        try patch(v, at: 104 + 2 * 8, f64(1.26e308))
        expectError(.invalidHeader, path: v, containing: "pixdim[2] is 1.26e+308 mm; voxel sizes above 1000000 mm are refused") {
            _ = try NIfTIReader.readFloat(path: v)
        }
        let w = try write("volume-16.nii")
        try patch(w, at: 280 + 12, f32(1e30))   // srow_x[3]: the origin
        let source = try NIfTIReader.readSource(path: w)
        XCTAssertTrue(source.grid.affine.m.allSatisfy { $0.isFinite })
        XCTAssertEqual(source.warnings, ["\(w): sform (sform_code 1) is placed more than 1000 km from the origin; using the qform instead"])
    }

    /// nibabel: a zero or non-finite scl_slope means no scaling; a valid slope with a
    /// non-finite intercept is refused ("Valid slope but invalid intercept").
    func testSlopeAndInterceptAsNibabel() throws {
        let plain = try NIfTIReader.readFloat(path: try write("volume-6.nii")).0.voxels
        for slope: Float in [0, .nan, .infinity, -.infinity] {
            let v = try write("volume-6.nii")
            try patch(v, at: 112, f32(slope))
            try patch(v, at: 116, f32(.nan))
            let (read, source) = try NIfTIReader.readFloat(path: v)
            XCTAssertNil(source.header.scaling, "slope \(slope)")
            XCTAssertEqual(read.voxels, plain, "slope \(slope) must mean no scaling")
        }
        let v = try write("volume-6.nii")
        try patch(v, at: 112, f32(2))
        try patch(v, at: 116, f32(.infinity))
        expectError(.invalidHeader, path: v, containing: "invalid intercept scl_inter=inf") { _ = try NIfTIReader.readFloat(path: v) }
    }

    /// A gzip too small to inflate to what the header says is refused before the volume is allocated.
    func testGzipThatCannotHoldItsVoxels() throws {
        let v = try write("volume-7.nii")
        for d in 1...3 { try patch(v, at: 40 + 2 * d, i16(5000)) }  // 5000^3 int16: 250 GB
        let gz = try gzip(v)
        expectError(.corrupt, path: gz, containing: "cannot inflate") { _ = try NIfTIReader.readFloat(path: gz) }
    }

    /// Dimensions beyond dim[0] are ignored (as nibabel), even when they hold garbage.
    func testDimensionsBeyondDim0AreIgnored() throws {
        let v = try write("volume-8.nii")
        try patch(v, at: 40, i16(2))        // dim[0] = 2: an 8x6 image
        try patch(v, at: 46, i16(-3))       // dim[3] = -3, unused
        try patch(v, at: 76 + 12, f32(.nan))  // pixdim[3] = NaN, unused
        let (read, source) = try NIfTIReader.readFloat(path: v)
        XCTAssertEqual(read.shape, [8, 6, 1])
        XCTAssertEqual(read.grid.spacing[2], 1)
        XCTAssertTrue(source.warnings.contains { $0.contains("extra bytes") }, "\(source.warnings)")
    }

    // MARK: item 7, more data than the header says

    func testExtraDataIsReadWithAWarning() throws {
        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var lines = [String]()
            func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        }
        let sink = Lines()
        LiTSWarnings.handler = { sink.add($0) }
        let v = try write("volume-9.nii")
        let plain = try NIfTIReader.readFloat(path: v).0.voxels
        XCTAssertTrue(sink.lines.isEmpty, "\(sink.lines)")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: v))
        handle.seekToEndOfFile()
        handle.write(Data(repeating: 7, count: 100))
        try handle.close()
        let (read, source) = try NIfTIReader.readFloat(path: v)
        XCTAssertEqual(read.voxels, plain)
        XCTAssertEqual(source.warnings, ["\(v): holds 100 extra bytes after the 8x6x4 int16 voxels its header describes (a sign of a broken writer); they are ignored"])
        XCTAssertEqual(sink.lines, source.warnings)
        // Labels take their own path.
        XCTAssertEqual(try NIfTIReader.readSource(path: v).warnings.count, 1)
        // gzip: only known after inflating.
        let gz = try gzip(v)
        let (readGz, sourceGz) = try NIfTIReader.readFloat(path: gz)
        XCTAssertEqual(readGz.voxels, plain)
        XCTAssertEqual(sourceGz.warnings.count, 1)
        XCTAssertTrue(sourceGz.warnings[0].hasPrefix("\(gz): holds 100 extra bytes"), sourceGz.warnings[0])
    }

    func testExtraDataInALabelFileIsReportedToo() throws {
        let (_, labels) = phantom(shape: [8, 6, 4])
        let s = "\(dir)/segmentation-1.nii"
        try NIfTIWriter.write(labels, to: s)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: s))
        handle.seekToEndOfFile()
        handle.write(Data(repeating: 0, count: 8))
        try handle.close()
        let gz = try gzip(s)
        let (read, source) = try NIfTIReader.readLabels(path: gz)
        XCTAssertEqual(read.voxels, labels.voxels)
        XCTAssertEqual(source.warnings.count, 1)
        XCTAssertTrue(source.warnings[0].contains("holds 8 extra bytes"), "\(source.warnings)")
    }

    // MARK: item 8, orientation that lies

    /// A singular sform fell through to the grid (and manifest.json): the qform replaces it now.
    func testSingularSformFallsBackToTheQform() throws {
        let v = try write("volume-10.nii")
        let good = try NIfTIReader.readSource(path: v).grid.affine
        for row in 0..<3 { try patch(v, at: 280 + 16 * row, f32(0) + f32(0) + f32(0) + f32(Float(row))) }
        let source = try NIfTIReader.readSource(path: v)
        assertClose(source.grid.affine.m, good.m, tol: 1e-6, "the qform's affine")
        XCTAssertEqual(source.warnings, ["\(v): sform (sform_code 1) is singular; using the qform instead"])
    }

    func testNaNQuaternionFallsBackToPixdim() throws {
        let v = try write("volume-11.nii")
        try patch(v, at: 254, i16(0))        // no sform
        try patch(v, at: 256, f32(.nan))     // quatern_b
        let source = try NIfTIReader.readSource(path: v)
        XCTAssertTrue(source.grid.affine.m.allSatisfy { $0.isFinite })
        XCTAssertEqual(source.grid.affine.rows[0], [-1.5, 0, 0, 5.25])
        XCTAssertEqual(source.grid.axisCodes, "LAS")
        XCTAssertEqual(source.warnings, ["\(v): qform (qform_code 1) has quatern_b=nan; using the pixdim-based affine instead"])
        // A NaN offset likewise.
        let w = try write("volume-12.nii")
        try patch(w, at: 254, i16(0))
        try patch(w, at: 272, f32(.infinity))  // qoffset_y
        XCTAssertEqual(try NIfTIReader.readSource(path: w).warnings, ["\(w): qform (qform_code 1) has qoffset_y=inf; using the pixdim-based affine instead"])
    }

    func testNonFiniteSformAndBadQformGiveThePixdimAffine() throws {
        let v = try write("volume-13.nii")
        try patch(v, at: 280, f32(.nan))
        try patch(v, at: 264, f32(.nan))  // quatern_d
        let (read, source) = try NIfTIReader.readFloat(path: v)
        XCTAssertTrue(read.grid.affine.m.allSatisfy { $0.isFinite })
        XCTAssertNotNil(read.grid.affine.inverse)
        XCTAssertEqual(source.warnings, ["\(v): sform (sform_code 1) is not finite; qform (qform_code 1) has quatern_d=nan; using the pixdim-based affine instead"])
        // The same in NIfTI-2 (float64 fields).
        let w = try write("volume-14.nii", format: .nifti2)
        try patch(w, at: 400, f64(0) + f64(0) + f64(0) + f64(0))
        try patch(w, at: 432, f64(0) + f64(0) + f64(0) + f64(0))
        try patch(w, at: 376, f64(.nan))  // qoffset_x
        let s2 = try NIfTIReader.readSource(path: w)
        XCTAssertTrue(s2.grid.affine.m.allSatisfy { $0.isFinite })
        XCTAssertEqual(s2.warnings, ["\(w): sform (sform_code 1) is singular; qform (qform_code 1) has qoffset_x=nan; using the pixdim-based affine instead"])
    }
}

/// Found by the nifti fuzzer: a float label file holding inf or 1e30 trapped in `Int(value)`
/// while the error message was being written.
final class FuzzRegressionTests: XCTestCase {
    func testLabelFileWithInfiniteOrHugeValues() throws {
        let dir = try makeTempDir(self)
        LiTSWarnings.handler = nil
        let (_, labels) = phantom(shape: [8, 6, 4])
        var values = labels.map { Float($0) }
        values.voxels[0] = .infinity
        values.voxels[1] = -1e30
        for n in 2..<4 { values.voxels[n] = .nan }
        let s = "\(dir)/segmentation-1.nii"
        try NIfTIWriter.write(values, to: s)
        XCTAssertThrowsError(try NIfTIReader.readLabels(path: s)) { error in
            let text = "\(error)"
            XCTAssertEqual((error as? LiTSError)?.kind, .invalidValues, text)
            XCTAssertTrue(text.hasPrefix("\(s): labels outside {0, 1, 2}: nan (2 voxels)"), text)
            XCTAssertTrue(text.contains("inf (1 voxels)") && text.contains("-1e+30 (1 voxels)"), text)
        }
    }
}
