# The unit tests load the fixture plugins from tests/fixtures at run time.
add_dependencies(mailfw-unit-tests mailfw-test-fixtures)
