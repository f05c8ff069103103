import Foundation

/// File-tree operations on unpacked layers and container directories.
enum LayerDirectory {
    /// Removes a file or a whole tree (without following symbolic links).
    static func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: path)
    }

    /// The bytes of the regular files under `path` (symbolic links and devices count nothing).
    static func size(_ path: String) -> Int64 {
        let manager = FileManager.default
        var total: Int64 = 0
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
        let paths =
            isDirectory.boolValue ? (manager.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []) : [""]
        for relative in paths {
            let attributes = try? manager.attributesOfItem(atPath: relative.isEmpty ? path : path + "/" + relative)
            if attributes?[.type] as? FileAttributeType == .typeRegular {
                total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
            }
        }
        return total
    }
}
