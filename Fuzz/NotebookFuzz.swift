import Foundation

/// The notebook Markdown parser (`lits notebook run/check` read it, and CI runs what it finds).
/// Every failure must be a one-line LiTSError naming the file and line. A notebook must read back
/// as the same cells after outputs are written into it, whatever the outputs hold (a cell's output
/// is data: a file name it listed may hold fences): the input is tried as an output of a fixed
/// notebook, and, when it parses as a notebook, its stored outputs, other cells' code and the
/// input itself are written into it as outputs. Any change in cells, code or outputs traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNotebook(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let path = "fuzz.md"
    let template = try! MarkdownNotebook(path: path, text: "# T\n\n```sh\nls data\n```\n\nEnd.\n")
    checkRoundTrip(template, outputs: [text])
    let notebook: MarkdownNotebook
    do { notebook = try MarkdownNotebook(path: path, text: text) } catch let e as LiTSError {
        precondition(e.path?.hasPrefix(path + ":") == true && !e.description.contains("\n"), "bad error: \(e)")
        return 0
    } catch { preconditionFailure("not a LiTSError: \(error)") }
    let cells = notebook.cells
    let stored = cells.map { $0.output ?? "" }
    checkRoundTrip(notebook, outputs: stored)
    checkRoundTrip(notebook, outputs: cells.indices.map { cells[(cells.count - 1 - $0)].code + "\n" + stored[$0] })
    checkRoundTrip(notebook, outputs: cells.map { _ in text })
    return 0
}

/// `notebook` with `outputs` written in parses to the same cells holding exactly `outputs`, and
/// writing them again changes nothing.
func checkRoundTrip(_ notebook: MarkdownNotebook, outputs: [String]) {
    let written = notebook.withOutputs(outputs)
    let again: MarkdownNotebook
    do { again = try MarkdownNotebook(path: notebook.path, text: written) } catch {
        preconditionFailure("rewritten notebook does not parse: \(error)")
    }
    precondition(again.cells.count == notebook.cells.count, "cell count changed")
    for (a, b) in zip(notebook.cells, again.cells) {
        precondition(a.code == b.code && a.varies == b.varies, "cell at line \(a.line) changed")
    }
    precondition(again.cells.map { $0.output ?? "" } == outputs, "outputs did not read back")
    precondition(again.withOutputs(outputs) == written, "rewrite is not stable")
}
