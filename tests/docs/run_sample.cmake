# Runs a documentation sample and, when docs/samples/<name>.expected exists,
# compares what it printed with it. A sample must print nothing to stderr:
# that is where relate's warnings go, and a sample that draws one shows
# something the documentation does not intend.
#
#   cmake -DSAMPLE=<program> -DEXPECTED=<file> -P run_sample.cmake
execute_process(COMMAND "${SAMPLE}" OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SAMPLE} failed (${rc}); it printed:\n${out}${err}")
endif()
if(NOT err STREQUAL "")
  message(FATAL_ERROR "${SAMPLE} printed to stderr:\n${err}")
endif()
if(EXISTS "${EXPECTED}")
  file(READ "${EXPECTED}" expected)
  if(NOT out STREQUAL expected)
    message(FATAL_ERROR "${SAMPLE} printed:\n${out}\ninstead of ${EXPECTED}:\n${expected}")
  endif()
endif()
