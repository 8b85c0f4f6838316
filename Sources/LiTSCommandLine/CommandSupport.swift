import ArgumentParser
import Foundation
import LiTSCluster
import LiTSCore

// How every command reports: one `lits: error:` or `lits: warning:` line, and its exit status.

/// Runs a command body: a `LiTSError` becomes one line on stderr and exit code 1.
public func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as LiTSError {
        printError(error.description)
        throw ExitCode.failure
    }
}

/// The same for a command whose ranks call MPI together: an error on one rank (the others would
/// wait for it forever) ends every rank of the job.
public func runReportingErrors(cluster: Cluster, _ body: () throws -> Void) throws {
    do {
        try runReportingErrors(body)
    } catch let exit as ExitCode where cluster.size > 1 && !StopRequest.isSignalExit(exit.rawValue) {
        cluster.abort(code: exit.rawValue)
    }
}

/// Prints every failed case and, if any failed, exits non-zero after the others finished.
public func reportFailures(_ failures: [(Case, String)], total: Int) throws {
    guard !failures.isEmpty else { return }
    for (_, message) in failures { printError(message) }
    printError("\(failures.count) of \(total) cases failed: \(failures.map { $0.0.id }.joined(separator: ", "))")
    throw ExitCode.failure
}

public func printError(_ message: String) {
    FileHandle.standardError.write(Data("lits: error: \(message)\n".utf8))
}

public func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("lits: warning: \(message)\n".utf8))
}
