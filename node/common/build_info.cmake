# Run at build time (cmake -P) by the ifed_build_info target: writes
# build_info.h with the release and the git commit of SOURCE_DIR, touching
# the file only when its content changes (so an unchanged commit rebuilds
# nothing). Outside a git checkout (a release tarball) the commit is
# "unknown" unless the environment names it (IFED_COMMIT); a source tree
# inside some other repository is not a checkout.
set(IFED_COMMIT unknown)
find_program(GIT_EXECUTABLE git)
# A build without the git history (a container build from a copied tree)
# names its commit in the environment: IFED_COMMIT=<hex>[-dirty].
if("$ENV{IFED_COMMIT}" MATCHES "^[0-9a-f]+(-dirty)?$")
  set(IFED_COMMIT $ENV{IFED_COMMIT})
elseif(GIT_EXECUTABLE)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --show-toplevel
    OUTPUT_VARIABLE top RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0)
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SOURCE_DIR}" src)
  endif()
  if(rc EQUAL 0 AND top STREQUAL src)
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --short=12 HEAD
      OUTPUT_VARIABLE head RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(rc EQUAL 0 AND head MATCHES "^[0-9a-f]+$")
      set(IFED_COMMIT ${head})
      execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} diff --quiet HEAD --
        RESULT_VARIABLE dirty ERROR_QUIET)
      if(NOT dirty EQUAL 0)
        set(IFED_COMMIT ${head}-dirty)
      endif()
    endif()
  endif()
endif()
configure_file(${SOURCE_DIR}/node/common/build_info.h.in ${OUTPUT} @ONLY)
