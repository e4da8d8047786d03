// Renders a screenshot of every view of a running main window into a folder, then quits the app:
// the README's pictures, made from the real app with the bundled models (scripts/render-screenshots.sh).
#pragma once

#include <QString>

class MainWindow;

// Starts once the window's model is loaded; exits the application with 0 when done, 1 on failure.
void runScreenshotTour(MainWindow& window, const QString& folder);
