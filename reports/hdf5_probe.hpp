#pragma once
// A results file we did not write is read first in a child process.
//
// libhdf5 1.10 (what Debian ships and the GPU nodes have) has memory errors on damaged files that no
// check of ours can reach: object headers, B-trees and heaps are decoded inside the library, and the
// fuzzers keep finding ways to make it read out of bounds or spin (docs/RELIABILITY.md). So the
// reader runs once in a forked child: if the child dies (a signal, a sanitizer's abort) or outlasts
// the time limit, the file is refused as damaged, naming it, and the parent never gives it to
// libhdf5; if the child finishes (with the data or with an InputError), the parent reads it itself.
// A file that passed once is not probed again while unchanged (device, inode, size, mtime).
//
// RB_HDF5_PROBE=0 turns the probe off (to debug the reader in one process);
// RB_HDF5_PROBE_SECONDS sets the time limit (default: 60 s, plus 1 s per 20 MB of file).
#include <functional>
#include <string>

namespace rb::reports::h5 {

// Runs `read` in a child first (see above); throws InputError(path, "", "damaged HDF5 file: ...")
// when the child does not survive it.
void probe_in_child(const std::string& path, const std::function<void()>& read);

}  // namespace rb::reports::h5
