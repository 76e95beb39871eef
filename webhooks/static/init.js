// Starts the NHS.UK frontend components (error summary focus, character count, conditional
// reveals). Kept out of the pages so a Content-Security-Policy can forbid inline script.
import { initAll } from './nhsuk-frontend/nhsuk-frontend-10.6.1.min.js'

initAll()
