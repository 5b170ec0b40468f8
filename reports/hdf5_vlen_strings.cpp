#include "reports/hdf5_vlen_strings.hpp"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <unordered_map>

#include "reports/hdf5_util.hpp"

namespace rb::reports::h5 {
namespace {

constexpr const char* kReferenceTag = "ropebatch: variable-length reference, disk form";

// The registered conversion from a variable-length string (in a file) to the opaque reference type:
// both are the same size, so the reference's bytes stay where they are and no heap is read.
herr_t keep_reference_bytes(hid_t src, hid_t dst, H5T_cdata_t* cdata, size_t, size_t, size_t, void*, void*, hid_t) {
  if (cdata->command != H5T_CONV_INIT) return 0;  // H5T_CONV_CONV: nothing moves; H5T_CONV_FREE: nothing held
  if (H5Tis_variable_str(src) <= 0 || H5Tget_class(dst) != H5T_OPAQUE) return -1;
  char* tag = H5Tget_tag(dst);
  const bool ours = tag != nullptr && std::strcmp(tag, kReferenceTag) == 0;
  H5free_memory(tag);
  if (!ours || H5Tget_size(src) != H5Tget_size(dst)) return -1;  // memory strings, or another file's address size
  cdata->need_bkg = H5T_BKG_NO;
  return 0;
}

void register_conversion(const std::string& file) {
  static std::once_flag once;
  std::call_once(once, [&] {
    Handle src = vlen_string_type(file);
    Handle dst = datatype_handle(HDF5_CHECK(H5Tcreate(H5T_OPAQUE, 16), file));
    HDF5_CHECK(H5Tset_tag(dst, kReferenceTag), file);
    HDF5_CHECK(H5Tregister(H5T_PERS_SOFT, "ropebatch_vlen_reference", src, dst, keep_reference_bytes), file);
  });
}

uint64_t decode_le(const unsigned char* p, std::size_t bytes) {
  uint64_t v = 0;
  for (std::size_t i = bytes; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

}  // namespace

struct VlenReferences::Heap {
  struct Collection {
    std::vector<unsigned char> bytes;
    std::unordered_map<uint16_t, std::pair<std::size_t, uint64_t>> objects;  // index -> (data offset, size)
  };
  std::string file;      // for messages
  std::string name;      // the path libhdf5 opened
  FileIdentity identity{};  // of `name` when opened: a later reader of the same unchanged file reuses this
  std::size_t offset_size = 8, length_size = 8;
  uint64_t base = 0;     // addresses are relative to the base address (after a user block)
  uint64_t file_size = 0;
  std::ifstream in;
  std::map<uint64_t, Collection> collections;

  const Collection& collection(uint64_t address, const std::string& where) {
    if (auto it = collections.find(address); it != collections.end()) return it->second;
    auto bad = [&](const std::string& problem) {
      return InputError(file, where, "damaged string: global heap collection at " + std::to_string(address) + " " + problem);
    };
    const std::size_t header = 8 + length_size;
    if (address > file_size || base > file_size - address || file_size - base - address < header)
      throw bad("is outside the file");
    const uint64_t at = base + address;
    unsigned char head[16];
    in.clear();
    in.seekg(static_cast<std::streamoff>(at));
    if (!in.read(reinterpret_cast<char*>(head), static_cast<std::streamsize>(header))) throw bad("cannot be read");
    if (std::memcmp(head, "GCOL", 4) != 0) throw bad("has no GCOL signature");
    if (head[4] != 1) throw bad("has version " + std::to_string(head[4]) + ", not 1");
    const uint64_t size = decode_le(head + 8, length_size);
    if (size < header || size > file_size - at) throw bad("has size " + std::to_string(size) + " outside the file");
    Collection c;
    c.bytes.resize(size);
    in.seekg(static_cast<std::streamoff>(at));
    if (!in.read(reinterpret_cast<char*>(c.bytes.data()), static_cast<std::streamsize>(size))) throw bad("cannot be read");
    const std::size_t object_header = 8 + length_size;  // index (2), reference count (2), reserved (4), size
    for (std::size_t p = header; p + object_header <= size;) {
      const auto index = static_cast<uint16_t>(decode_le(&c.bytes[p], 2));
      const uint64_t object_size = decode_le(&c.bytes[p + 8], length_size);
      if (index == 0) break;  // the free space: the rest of the collection
      const std::size_t data = p + object_header;
      if (object_size > size - data) throw bad("has object " + std::to_string(index) + " past its end");
      if (!c.objects.emplace(index, std::pair{data, object_size}).second)
        throw bad("has object " + std::to_string(index) + " twice");
      const uint64_t padded = (object_size + 7) / 8 * 8;  // object data is padded to 8 bytes
      if (padded > size - data) break;
      p = data + padded;
    }
    return collections.emplace(address, std::move(c)).first->second;
  }
};

VlenReferences::VlenReferences(hid_t obj, const std::string& file) {
  register_conversion(file);
  Handle f = file_handle(HDF5_CHECK(H5Iget_file_id(obj), file));
  const ssize_t name_length = HDF5_CHECK(H5Fget_name(f, nullptr, 0), file);
  std::string name(static_cast<std::size_t>(name_length) + 1, '\0');
  HDF5_CHECK(H5Fget_name(f, name.data(), name.size()), file);
  name.resize(static_cast<std::size_t>(name_length));
  Handle fcpl = plist_handle(HDF5_CHECK(H5Fget_create_plist(f), file));
  std::size_t offset_size = 0, length_size = 0;
  HDF5_CHECK(H5Pget_sizes(fcpl, &offset_size, &length_size), file);
  if (offset_size > 8 || length_size > 8 || offset_size == 0 || length_size == 0)
    throw InputError(file, "", "offsets of " + std::to_string(offset_size) + " bytes and lengths of " +
                                   std::to_string(length_size) + " bytes: this ropebatch reads at most 8");
  hsize_t user_block = 0;
  HDF5_CHECK(H5Pget_userblock(fcpl, &user_block), file);
  unsigned intent = 0;
  HDF5_CHECK(H5Fget_intent(f, &intent), file);
  const bool writable = (intent & H5F_ACC_RDWR) != 0;
  if (writable) HDF5_CHECK(H5Fflush(f, H5F_SCOPE_LOCAL), file);  // the heap on disk, current
  const std::optional<FileIdentity> identity = file_identity(name);
  if (!identity) throw InputError(file, "", "cannot be reopened to read its strings");

  // One file read attribute by attribute: its checked collections are kept for the next reader.
  thread_local std::shared_ptr<Heap> last;
  if (!writable && last != nullptr && last->name == name && last->identity == *identity &&
      last->offset_size == offset_size && last->length_size == length_size && last->base == user_block) {
    heap_ = last;
  } else {
    heap_ = std::make_shared<Heap>();
    Heap& h = *heap_;
    h.name = name;
    h.identity = *identity;
    h.offset_size = offset_size;
    h.length_size = length_size;
    h.base = user_block;
    h.in.open(h.name, std::ios::binary);
    if (!h.in) throw InputError(file, "", "cannot be reopened to read its strings");
    h.in.seekg(0, std::ios::end);
    h.file_size = static_cast<uint64_t>(h.in.tellg());
    last = writable ? nullptr : heap_;
  }
  heap_->file = file;
  size_ = 4 + offset_size + 4;  // length, collection address, object index (H5T__vlen_disk_read)
  type_ = HDF5_CHECK(H5Tcreate(H5T_OPAQUE, size_), file);
  HDF5_CHECK(H5Tset_tag(type_, kReferenceTag), file);
}

VlenReferences::~VlenReferences() {
  if (type_ >= 0) H5Tclose(type_);
}

uint64_t VlenReferences::file_size() const { return heap_->file_size; }

std::string VlenReferences::resolve(const unsigned char* reference, const std::string& where) {
  Heap& h = *heap_;
  const uint64_t length = decode_le(reference, 4);
  const uint64_t address = decode_le(reference + 4, h.offset_size);
  const uint64_t index = decode_le(reference + 4 + h.offset_size, 4);
  if (length == 0 || address == 0) return {};  // the empty string; address 0 is a null string
  const Heap::Collection& c = h.collection(address, where);
  const auto object = index <= UINT16_MAX ? c.objects.find(static_cast<uint16_t>(index)) : c.objects.end();
  if (object == c.objects.end())
    throw InputError(h.file, where, "damaged string: no object " + std::to_string(index) +
                                        " in the global heap collection at " + std::to_string(address));
  const auto [data, size] = object->second;
  if (length > size)
    throw InputError(h.file, where, "damaged string: " + std::to_string(length) + " bytes long, its heap object holds " +
                                        std::to_string(size));
  return std::string(reinterpret_cast<const char*>(&c.bytes[data]), static_cast<std::size_t>(length));
}

std::vector<std::string> read_vlen_string_attr(hid_t attr, std::size_t count, const std::string& file,
                                               const std::string& where) {
  VlenReferences refs(attr, file);
  if (count > H5Aget_storage_size(attr) / refs.member_size())
    throw InputError(file, where, "damaged: " + std::to_string(count) + " strings in " +
                                      std::to_string(H5Aget_storage_size(attr)) + " bytes of attribute data");
  std::vector<unsigned char> raw(count * refs.member_size());
  HDF5_CHECK(H5Aread(attr, refs.member_type(), raw.data()), file);
  std::vector<std::string> values;
  values.reserve(count);
  for (std::size_t i = 0; i < count; ++i) values.push_back(refs.resolve(&raw[i * refs.member_size()], where));
  return values;
}

}  // namespace rb::reports::h5
