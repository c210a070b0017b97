/** Entry point of the operator console. */
import { render } from 'preact';
import { App } from './app';

render(<App />, document.getElementById('app')!);
