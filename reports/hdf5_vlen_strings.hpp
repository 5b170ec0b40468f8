#pragma once
// Variable-length strings read without libhdf5's global-heap code.
//
// A variable-length string is stored as a reference (its length, the address of a global heap
// collection and an object index) whose bytes live in that collection. libhdf5 1.10 trusts the
// reference: an index past the collection's objects reads out of bounds in H5HG_read (assertions
// only, compiled out of release builds), and a damaged collection size makes it spin. A results file
// we did not write is untrusted input, so ropebatch reads the references as raw bytes (a registered
// conversion into an opaque type of the same size) and resolves them itself against collections it
// has checked: signature, version, sizes inside the file, objects inside the collection, each index
// once. The format: HDF5 File Format Specification 3.0, III.E "Global Heap" and the disk form of
// variable-length data (H5Tvlen.c, H5T__vlen_disk_read).
#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rb::reports::h5 {

// The strings of a variable-length string attribute of `file` (`where`: its path, for messages).
std::vector<std::string> read_vlen_string_attr(hid_t attr, std::size_t count, const std::string& file,
                                               const std::string& where);

// For compound datasets with variable-length string members: the memory type to read such a member
// into (an opaque type as large as the on-disk reference of `obj`'s file), and how to turn the bytes
// read into the string.
class VlenReferences {
 public:
  VlenReferences(hid_t obj, const std::string& file);
  ~VlenReferences();
  VlenReferences(const VlenReferences&) = delete;
  VlenReferences& operator=(const VlenReferences&) = delete;

  hid_t member_type() const { return type_; }
  std::size_t member_size() const { return size_; }
  uint64_t file_size() const;
  // The string a reference read into member_type() stands for; InputError if it points outside
  // the file or at no object.
  std::string resolve(const unsigned char* reference, const std::string& where);

 private:
  struct Heap;
  std::shared_ptr<Heap> heap_;  // shared with the next reader of the same unchanged file
  hid_t type_ = -1;
  std::size_t size_ = 0;
};

}  // namespace rb::reports::h5
