#pragma once
// Boost.Test precondition for suites of the CUDA backend's host-side code: such a case runs in
// builds with the CUDA backend (no GPU needed) and is reported as skipped in builds without it.
#include <boost/test/unit_test.hpp>

namespace rbtest {

inline boost::test_tools::assertion_result cuda_built(boost::unit_test::test_unit_id) {
#if ROPEBATCH_HAVE_CUDA
  return true;
#else
  boost::test_tools::assertion_result r(false);
  r.message() << "skipped: built without the CUDA backend";
  return r;
#endif
}

}  // namespace rbtest
