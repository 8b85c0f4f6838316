import Foundation

// This machine's /proc/cpuinfo, read once for every check that picks a kernel set (AVX-512, AVX2,
// bf16, int8) and for the kernel-shape cache's key. The checks live in code built for any
// x86-64, because each kernel target is built for its own ISA and would stop an older CPU with
// an illegal instruction; the OS enabling a feature is what /proc/cpuinfo's flags reflect.
enum CPUInfo {
    /// The first processor's fields ("vendor_id", "cpu family", "model", "model name", "flags",
    /// ...), trimmed; empty where /proc/cpuinfo cannot be read.
    static let fields: [String: String] = {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in info.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            if fields[name] == nil { fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return fields
    }()

    /// The x86-64 ISA flags the OS enabled; empty elsewhere, so no x86 kernel set is chosen there.
    static let flags: Set<String> = {
        #if arch(x86_64) && os(Linux)
        return Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
        #else
        return []
        #endif
    }()

    /// Whether this CPU has every flag of `required`.
    static func has(_ required: [String]) -> Bool { required.allSatisfy(flags.contains) }
}
