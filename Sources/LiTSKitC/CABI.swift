import Foundation
import LiTSCore

// The C ABI's conventions, shared by every entry point:
// - each returns 0 on success, 1 for bad input (a LiTSError: the message names the file or the
//   argument and says what is wrong, on one line, as the CLI prints it), 2 for anything else;
// - the message goes into `err` (a caller's buffer of `errCapacity` bytes), NUL-terminated and
//   cut to fit;
// - arrays are flat, NIfTI voxel order (i fastest: index = i + nx * (j + ny * k)), their shape
//   given as three Int64; affines are 16 Doubles, row-major;
// - structured results are JSON, written into a buffer this library allocates with malloc and the
//   caller frees with `litskit_free`. NaN and infinities are written as "nan", "inf", "-inf".
// Nothing here keeps state between calls, so calls from several threads are independent.

typealias ErrorBuffer = UnsafeMutablePointer<CChar>?

/// Runs `body`, turning a thrown error into the return code and message.
func guarded(_ err: ErrorBuffer, _ capacity: Int, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        if let err, capacity > 0 { err[0] = 0 }
        return 0
    } catch let e as LiTSError {
        writeMessage(e.description, err, capacity)
        return 1
    } catch {
        writeMessage(String(describing: error), err, capacity)
        return 2
    }
}

func writeMessage(_ message: String, _ err: ErrorBuffer, _ capacity: Int) {
    guard let err, capacity > 0 else { return }
    let bytes = Array(message.utf8.prefix(capacity - 1))
    for (n, b) in bytes.enumerated() { err[n] = CChar(bitPattern: b) }
    err[bytes.count] = 0
}

/// A caller's shape, checked: three positive lengths whose product fits.
func checkedShape(_ p: UnsafePointer<Int64>?) throws -> [Int] {
    guard let p else { throw LiTSError(.invalidArgument, path: nil, "no shape given") }
    let shape = (0..<3).map { Int(p[$0]) }
    guard shape.allSatisfy({ $0 > 0 }) else {
        throw LiTSError(.invalidArgument, path: nil, "shape \(shape.map(String.init).joined(separator: "x")) must have three positive lengths")
    }
    let (n1, o1) = shape[0].multipliedReportingOverflow(by: shape[1])
    let (_, o2) = n1.multipliedReportingOverflow(by: shape[2])
    guard !o1 && !o2 else { throw LiTSError(.invalidArgument, path: nil, "shape \(shape) is too large") }
    return shape
}

/// A caller's spacing: three finite positive millimetre values.
func checkedSpacing(_ p: UnsafePointer<Double>?) throws -> [Double] {
    guard let p else { throw LiTSError(.invalidArgument, path: nil, "no spacing given") }
    let s = (0..<3).map { p[$0] }
    guard s.allSatisfy({ $0 > 0 && $0.isFinite }) else {
        throw LiTSError(.invalidArgument, path: nil, "spacing \(s) must be three finite positive values (mm)")
    }
    return s
}

/// A caller's buffer of `count` elements, as a Swift array (one copy, into huge pages: a
/// volume-sized copy would otherwise pay a page fault per 4 KiB).
func array<T>(_ p: UnsafePointer<T>?, _ count: Int, _ what: String) throws -> [T] {
    guard let p else { throw LiTSError(.invalidArgument, path: nil, "no \(what) given") }
    return HugePages.array(count: count) { (buffer: UnsafeMutableBufferPointer<T>) in buffer.baseAddress!.initialize(from: p, count: count) }
}

func path(_ p: UnsafePointer<CChar>?) throws -> String {
    guard let p else { throw LiTSError(.invalidArgument, path: nil, "no path given") }
    return String(decoding: UnsafeRawBufferPointer(start: p, count: strlen(p)), as: UTF8.self)
}

/// Hands `value` to the caller as malloc'd NUL-terminated JSON.
func returnJSON<T: Encodable>(_ value: T, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws {
    let e = JSONFile.nonFiniteEncoder()
    e.outputFormatting = [.sortedKeys]
    try returnText(String(decoding: try e.encode(value), as: UTF8.self), out)
}

func returnText(_ text: String, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws {
    guard let out else { throw LiTSError(.invalidArgument, path: nil, "no result pointer given") }
    let bytes = Array(text.utf8)
    guard let buffer = malloc(bytes.count + 1)?.assumingMemoryBound(to: CChar.self) else {
        throw LiTSError(.invalidArgument, path: nil, "out of memory for a \(bytes.count)-byte result")
    }
    for (n, b) in bytes.enumerated() { buffer[n] = CChar(bitPattern: b) }
    buffer[bytes.count] = 0
    out.pointee = buffer
}

/// Frees a buffer this library returned.
@_cdecl("litskit_free")
public func litskit_free(_ p: UnsafeMutableRawPointer?) { free(p) }

/// The toolkit's version (LiTSKitVersion.current) into `buf`; returns its length.
@_cdecl("litskit_version")
public func litskit_version(_ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int32 {
    writeMessage(LiTSKitVersion.current, buf, capacity)
    return Int32(LiTSKitVersion.current.utf8.count)
}

/// Warnings from readers go nowhere by default here (Python receives them with the result);
/// `enabled` 1 prints them to stderr as the CLI does.
@_cdecl("litskit_set_warnings")
public func litskit_set_warnings(_ enabled: Int32) {
    let printer: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data("lits: warning: \(line)\n".utf8)) }
    LiTSWarnings.handler = enabled != 0 ? printer : nil
}
