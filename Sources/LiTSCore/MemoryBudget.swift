import Foundation

/// Refuses work that cannot fit in this machine's memory before allocating it, with a message
/// that says what to change (a lying header asks for hundreds of GB; the allocation would abort).
public enum MemoryBudget {
    /// Physical memory of the machine in bytes.
    public static var physicalBytes: Int {
        Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Throws when `bytes` (an estimate) exceeds physical memory.
    public static func check(_ bytes: Double, for what: String, path: String?, advice: String) throws {
        let available = Double(physicalBytes)
        guard bytes.isFinite, bytes <= available else {
            throw LiTSError(.invalidArgument, path: path, String(format: "%@ needs about %@ of memory, more than this machine's %.0f GB; %@",
                                                                  what, gigabytes(bytes), available / 1e9, advice))
        }
    }

    static func gigabytes(_ bytes: Double) -> String {
        bytes.isFinite && bytes < 1e15 ? String(format: "%.0f GB", max(bytes / 1e9, 1)) : "more than 1 PB"
    }
}
