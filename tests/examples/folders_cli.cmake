# Runs the folders example program through a scripted session on a fresh SQLite
# file and compares what it prints (stdout, stderr and exit codes) with
# folders_cli.txt.
#
#   cmake -DFOLDERS=<program> -DWORK=<folder> -DEXPECTED=<transcript> -P folders_cli.cmake
#
# To accept a changed transcript, add -DUPDATE=ON.
set(steps
    "mkdir /docs/letters"
    "touch /docs/letters/a.txt 120"
    "touch /docs/todo.txt 5"
    "mkdir /photos/2024/summer"
    "touch /photos/2024/summer/beach.jpg 2048"
    "touch /photos/2024/cover.jpg 300"
    "tree"
    "mv /docs/letters /photos/2024"
    "mv /photos /photos/2024/summer"
    "rename /photos/2024/letters mail"
    "rename /photos/2024/mail summer"
    "tree /photos"
    "rm /photos"
    "rm /docs/todo.txt"
    "rm -r /photos/2024"
    "tree"
    "rm -r /"
    "mv /nowhere /docs"
    "frobnicate")

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(transcript "")
foreach(step IN LISTS steps)
  separate_arguments(args UNIX_COMMAND "${step}")
  execute_process(COMMAND "${FOLDERS}" tree.db ${args} WORKING_DIRECTORY "${WORK}"
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  string(APPEND transcript "$ folders tree.db ${step}\n${out}${err}")
  if(NOT rc EQUAL 0)
    string(APPEND transcript "[exit ${rc}]\n")
  endif()
endforeach()

if(UPDATE)
  file(WRITE "${EXPECTED}" "${transcript}")
  return()
endif()
file(READ "${EXPECTED}" expected)
if(NOT transcript STREQUAL expected)
  file(WRITE "${WORK}/actual.txt" "${transcript}")
  message(FATAL_ERROR "The folders session differs from ${EXPECTED}.\n"
                      "What it printed is in ${WORK}/actual.txt:\n${transcript}")
endif()
