// main() of the studio tests: a QApplication on the offscreen platform (no display needed), then
// GoogleTest. Each test case still runs as its own process (gtest_discover_tests).
#include <gtest/gtest.h>

#include <QApplication>

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  ::testing::InitGoogleTest(&argc, argv);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("capsim-tests");
  return RUN_ALL_TESTS();
}
