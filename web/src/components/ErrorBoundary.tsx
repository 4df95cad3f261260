// A failure while rendering a part of the page shows a message in its
// place, instead of React unmounting everything and leaving a blank page.
// The details go to the console (for a bug report), not to the screen.
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What could not be shown, for the message: "this document", "this page". */
  what: string;
  children: ReactNode;
}

export class ErrorBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error(`Could not show ${this.props.what}:`, error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="banner error" role="alert" data-testid="render-error">
        Something went wrong showing {this.props.what}. Your saved work is safe on the server.{' '}
        <button type="button" className="button link" onClick={() => location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
